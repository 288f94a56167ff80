"""GET /.well-known/jwks.json: the public keys that sign codes, so anyone can check one (docs/tokens.md)."""
from pathlib import Path

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


@bp.get("/docs/tokens.md")
def token_format():
    """docs/tokens.md, the token format and how to check a code, linked from the API page."""
    path = Path(current_app.root_path).parent / "docs" / "tokens.md"
    response = current_app.response_class(path.read_text(encoding="utf-8"), mimetype="text/markdown")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
