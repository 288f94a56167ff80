"""The ledger's public page: the latest signed checkpoints, in words, and how to check them."""
import hashlib
from pathlib import Path

from flask import Blueprint, render_template, send_file

from . import services

VERIFIER = Path(__file__).resolve().parent.parent / "tools" / "verify_pack.py"

bp = Blueprint("ledger_pages", __name__)
# A root hash in base64, as checkpoints (their notes, the API, this page) write it, wherever a page shows one.
bp.add_app_template_filter(services.b64, "b64")


@bp.get("/ledger")
def checkpoints():
    """Anyone: the log's size and root as signed, so people can keep them and hold the programme to them."""
    recent = [services.checkpoint_view(cp) for cp in services.checkpoints(limit=10)]
    return render_template("ledger/checkpoints.html", recent=recent,
                           verifier_sha256=hashlib.sha256(VERIFIER.read_bytes()).hexdigest())


@bp.get("/ledger/verify_pack.py")
def verifier():
    """tools/verify_pack.py as the service ships it inside every pack, from the site: an inspector takes the
    verifier from here rather than from the pack they are checking."""
    response = send_file(VERIFIER, mimetype="text/x-python", as_attachment=True, download_name="verify_pack.py")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
