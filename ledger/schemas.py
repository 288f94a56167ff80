"""What the ledger's routes answer."""
from marshmallow import Schema, fields, validate

from baiye.api import Input
from baiye.clock import iso_utc
from baiye.validators import MAX_ROW_ID


class CheckpointSchema(Schema):
    id = fields.Integer(required=True)
    size = fields.Integer(required=True, metadata={"description": "entries in the log (the tree size)"})
    root = fields.String(required=True, metadata={"description": "root hash, base64 (RFC 6962)"})
    # Stored as naive UTC: written with its zone ("...Z"), as RFC 3339's date-time (the document's format) requires.
    signed_at = fields.Function(lambda cp: iso_utc(cp["signed_at"]), required=True,
                                metadata={"type": "string", "format": "date-time"})
    kid = fields.String(required=True, metadata={"description": "the signing key's id in /.well-known/jwks.json"})
    signature = fields.String(required=True, metadata={"description": "base64 of the 4-byte key hash and the "
                                                                      "Ed25519 signature, as in the note"})
    note = fields.String(required=True, metadata={"description": "the C2SP signed-note text of the checkpoint"})
    consistency = fields.List(fields.String(), required=True,
                              metadata={"description": "RFC 6962 consistency proof from the checkpoint before"})


class CheckpointsQuerySchema(Input):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    before = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ROW_ID),
                            metadata={"description": "only checkpoints older than this id (the next page)"})


class CheckpointsSchema(Schema):
    items = fields.List(fields.Nested(CheckpointSchema), required=True)


class ProofEntrySchema(Schema):
    seq = fields.Integer(required=True, metadata={"description": "the entry's index in the log"})
    event = fields.String(required=True)
    body = fields.String(required=True, metadata={"description": "the leaf, exactly the bytes hashed"})
    leaf_hash = fields.String(required=True)
    audit_path = fields.List(fields.String(), required=True,
                             metadata={"description": "RFC 6962 audit path to the checkpoint's root, bottom up"})


class ProofSchema(Schema):
    checkpoint = fields.Nested(CheckpointSchema, required=True)
    entries = fields.List(fields.Nested(ProofEntrySchema), required=True)
