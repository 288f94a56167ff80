"""The ledger's public page: the latest signed checkpoints, in words, and how to check them."""
from flask import Blueprint, render_template

from . import services

bp = Blueprint("ledger_pages", __name__)
# A root hash in base64, as checkpoints (their notes, the API, this page) write it, wherever a page shows one.
bp.add_app_template_filter(services.b64, "b64")


@bp.get("/ledger")
def checkpoints():
    """Anyone: the log's size and root as signed, so people can keep them and hold the programme to them."""
    recent = [services.checkpoint_view(cp) for cp in services.checkpoints(limit=10)]
    return render_template("ledger/checkpoints.html", recent=recent)
