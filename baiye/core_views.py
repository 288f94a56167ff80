from pathlib import Path

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from sqlalchemy import text

from baiye.extensions import db

from .accounts.views import safe_next

bp = Blueprint("core", __name__)


@bp.get("/")
def index():
    summary = current_app.extensions.get("public_summary")  # provided by the reports area
    return render_template("index.html", public_summary=summary() if summary else None)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 — any database failure means unhealthy
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for it whatever the page's icon link says: the same icon."""
    return redirect(url_for("static", filename="img/icon.svg"), 301)


@bp.get("/lang/<code>")
def switch_language(code):
    """Remember the chosen language (the cookie is set in the after-request hook)."""
    target = safe_next(request.args.get("next")) or "/"
    response = redirect(target)
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", code, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


@bp.get("/docs/<any(tokens, ledger):name>.md")
def document(name):
    """The formats others check against, from the repository's docs/: tokens.md (signed codes) and ledger.md
    (the ledger's leaves, checkpoints and proofs); linked from the API page and the ledger's page."""
    path = Path(current_app.root_path).parent / "docs" / f"{name}.md"
    response = current_app.response_class(path.read_text(encoding="utf-8"), mimetype="text/markdown")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
