"""GET /.well-known/jwks.json: the public keys that sign codes and the ledger's checkpoints, so anyone can check
one (docs/tokens.md, docs/ledger.md)."""
from flask import Blueprint, current_app

from . import tokens

bp = Blueprint("jwks", __name__)


@bp.get("/.well-known/jwks.json")
def jwks():
    response = current_app.response_class(current_app.json.dumps(tokens.jwks()), mimetype="application/jwk-set+json")
    # Keys change only on rotation, and a retired key stays listed while its codes are valid: an hour is safe.
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"  # a partner's or an inspector's page may fetch it
    return response
