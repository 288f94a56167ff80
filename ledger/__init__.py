"""The ledger: an append-only Merkle log of redemptions and voids with signed checkpoints (RFC 6962 hashing,
C2SP checkpoints), so the programme's figures can be proved. events: the leaves; merkle: roots and proofs;
notes: signed checkpoints; services: append, checkpoint, verify, prove, the evidence pack's part; api: the
routes and the `flask ledger` commands. tools/verify_pack.py checks a pack with no access to the service."""
