"""The ledger's public page: the latest signed checkpoints, in words, and how to check them."""
from flask import Blueprint, render_template

from . import services

bp = Blueprint("ledger_pages", __name__)


@bp.get("/ledger")
def checkpoints():
    """Anyone: the log's size and root as signed, so people can keep them and hold the programme to them."""
    recent = [services.checkpoint_view(cp) for cp in services.checkpoints(limit=10)]
    return render_template("ledger/checkpoints.html", recent=recent)
