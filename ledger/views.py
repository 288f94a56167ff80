"""The ledger's public page: the latest signed checkpoints, in words, and how to check them."""
import hashlib
from functools import lru_cache

from flask import Blueprint, render_template, send_file

from tools import VERIFY_PACK as VERIFIER

from . import services

bp = Blueprint("ledger_pages", __name__)
# A root hash in base64, as checkpoints (their notes, the API, this page) write it, wherever a page shows one.
bp.add_app_template_filter(services.b64, "b64")


@bp.get("/ledger")
def checkpoints():
    """Anyone: the log's size and root as signed, so people can keep them and hold the programme to them."""
    recent = [services.checkpoint_view(cp) for cp in services.checkpoints(limit=10)]
    return render_template("ledger/checkpoints.html", recent=recent,
                           verifier_sha256=verifier_sha256())


@lru_cache(maxsize=1)
def verifier_sha256():
    """The verifier's SHA-256, read once: the file does not change while the app runs."""
    return hashlib.sha256(VERIFIER.read_bytes()).hexdigest()


@bp.get("/ledger/verify_pack.py")
def verifier():
    """tools/verify_pack.py as the service ships it inside every pack, from the site: an inspector takes the
    verifier from here rather than from the pack they are checking."""
    response = send_file(VERIFIER, mimetype="text/x-python", as_attachment=True, download_name="verify_pack.py")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
