"""The evidence pack for people: a progress page that polls and then downloads, and the operator's command."""
from pathlib import Path

import click
from flask import Blueprint, redirect, render_template, request, url_for
from marshmallow import EXCLUDE, ValidationError

from baiye.api import caller, roles_required
from baiye.cli import domain_error_message
from baiye.clock import utcnow
from baiye.errors import DomainError
from baiye.extensions import db
from baiye.messages import localise
from ledger import services as ledger_services
from verification.tokens import public_origin

from . import services
from .schemas import PackQuerySchema, PackStatusSchema

bp = Blueprint("evidence", __name__, cli_group=None)


def _period_or_errors(values, now):
    """((first day, last day), {}) from the query or form, or (None, errors to show beside the dates)."""
    try:
        args = PackQuerySchema().load({k: values.get(k, "") for k in ("from", "to")}, unknown=EXCLUDE)
        services.check_period(args["first_day"], args["last_day"], now)
    except ValidationError as err:
        return None, localise(err.messages)
    except DomainError as err:
        if err.status != 422:
            raise
        return None, localise(err.fields)
    return (args["first_day"], args["last_day"]), {}


def _asked(values, fresh):
    """(the pack of the period in `values`, started building if new, or None; whether it is new; the page of errors
    or None)."""
    now = utcnow()
    period, errors = _period_or_errors(values, now)
    if errors:
        return None, False, (render_template("evidence/progress.html", errors=errors, args=values), 422)
    job, new = services.request_pack(caller(), *period, now, public_origin(), fresh=fresh)
    return job, new, None


@bp.get("/admin/evidence-pack")
@roles_required("coordinator")
def progress():
    """The pack of the period in the query: its progress bar while it builds (evidence.js polls), then the download,
    which starts by itself for a pack this page saw built (or just asked for), not at every later visit."""
    job, new, refused = _asked(request.args, fresh=False)
    if refused:
        return refused
    return render_template("evidence/progress.html", errors={}, args=request.args, job=job,
                           status=PackStatusSchema().dump(job), asked_now=new,
                           ttl_hours=round(services.time_to_live().total_seconds() / 3600))


@bp.post("/admin/evidence-pack")
@roles_required("coordinator")
def rebuild():
    """Build the period's pack again (after a failure, or for figures that have changed since)."""
    job, _new, refused = _asked(request.form, fresh=True)
    if refused:
        return refused
    return redirect(url_for("evidence.progress", **{"from": job.first_day.isoformat(), "to": job.last_day.isoformat()}))


@bp.cli.command("evidence-pack")
@click.option("--from", "first_day", required=True, help="First day, YYYY-MM-DD (inclusive).")
@click.option("--to", "last_day", required=True, help="Last day, YYYY-MM-DD (inclusive).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The ZIP to write.")
def pack_command(first_day, last_day, out):
    """Write the evidence pack (ZIP) of a period to a new file."""
    try:
        args = PackQuerySchema().load({"from": first_day, "to": last_day})
        built = services.write_pack(args["first_day"], args["last_day"], utcnow(), public_origin(), out,
                                    echo=lambda step: click.echo(f"evidence-pack: {step} ...", err=True))
    except ValidationError as err:
        raise click.ClickException(
            "; ".join(f"--{k}: {' '.join(v)}" for k, v in localise(err.messages).items())) from None
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(domain_error_message(err)) from None
    checkpoint = built.checkpoint
    click.echo(f"Wrote {out}: {len(built.names)} files, {built.photos} photos, ledger checkpoint size "
               f"{checkpoint.size} root {ledger_services.b64(checkpoint.root)}")
    if built.pdf_missing:
        click.echo(f"The report is HTML, not PDF: {built.pdf_missing}", err=True)
