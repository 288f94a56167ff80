"""The ledger's routes (public checkpoints, a coordinator's inclusion proof) and its operator commands."""
import signal
import sys
import time

import click
from flask import Blueprint, current_app

from baiye.api import API_PREFIX, doc, query_args, roles_required
from baiye.clock import utcnow
from baiye.errors import not_found
from baiye.extensions import db
from baiye.validators import is_row_id

from . import services
from .schemas import CheckpointSchema, CheckpointsQuerySchema, CheckpointsSchema, ProofSchema

bp = Blueprint("ledger", __name__, url_prefix=API_PREFIX + "/ledger", cli_group="ledger")


@bp.get("/checkpoints")
@doc(query=CheckpointsQuerySchema, response=CheckpointsSchema, auth=False,
     summary="The ledger's signed checkpoints, newest first (public: no personal data)")
def checkpoints():
    args = query_args(CheckpointsQuerySchema())
    items = [services.checkpoint_view(cp) for cp in services.checkpoints(args["limit"], args["before"])]
    return {"items": CheckpointSchema(many=True).dump(items)}


@bp.get("/proof/<int:redemption_id>")
@roles_required("coordinator")
@doc(response=ProofSchema, summary="Inclusion proof of a redemption's events against the latest checkpoint")
def proof(redemption_id):
    if not is_row_id(redemption_id):
        raise not_found()
    return ProofSchema().dump(services.proof(redemption_id))


# --- operator commands: flask --app wsgi ledger append | checkpoint | verify --------------------------

@bp.cli.command("append")
@click.option("--all", "everything", is_flag=True, help="Look for pending events of any date, not the last two days'.")
def append_command(everything):
    """Append committed redemptions and voids to the log (what gunicorn's appender does every minute)."""
    click.echo(f"appended {services.append_pending(utcnow(), everything=everything)} event(s)")


@bp.cli.command("appender")
def appender_command():
    """Append pending events every LEDGER_APPEND_SECONDS, and sign a checkpoint when the latest is older than
    LEDGER_CHECKPOINT_HOURS, until stopped (gunicorn starts one beside its workers; exits at once when
    LEDGER_APPEND_SECONDS is 0)."""
    seconds = services.appender_interval()
    if not seconds:
        return
    for stop in (signal.SIGTERM, signal.SIGINT):  # gunicorn stopping, or Ctrl-C at `make run`
        signal.signal(stop, lambda *_: sys.exit(0))
    while True:
        try:
            services.append_pending(utcnow())
            services.checkpoint_if_due(utcnow())
        except Exception:  # a database restart, a lock held too long: log it, try again next time
            db.session.rollback()
            current_app.logger.exception("ledger: appending failed; trying again in %s s", seconds)
        time.sleep(seconds)


@bp.cli.command("checkpoint")
def checkpoint_command():
    """Append every pending event, sign a checkpoint, print its size and root (cron: at least daily)."""
    try:
        cp = services.checkpoint(utcnow())
    except services.LedgerBroken as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"checkpoint {cp.id}: size {cp.size} root {services.b64(cp.root)} (key {cp.kid})")
    click.echo(cp.note, nl=False)


@bp.cli.command("verify")
def verify_command():
    """Recompute every leaf, root and signature; exit 0 when intact, 1 naming the first entry that differs."""
    report = services.verify(utcnow())
    if not report.intact:
        for problem in report.problems:
            click.echo(f"DIFFERS: {problem}", err=True)
        sys.exit(1)
    click.echo(f"intact: size {report.size} root {services.b64(report.root)}; "
               f"{report.checkpoints} checkpoint(s) verified")
    if report.pending:
        click.echo(f"{report.pending} event(s) not yet appended (the appender adds them within a minute)")
