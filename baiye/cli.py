"""Operator commands. They call the same services as the web layer."""
import importlib
import random
import sqlite3
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import func, select

from baiye.accounts.models import User
from baiye.accounts.services import create_user
from baiye.clock import utcnow
from baiye.errors import DomainError
from baiye.extensions import db
from verification.members.retention import purge_members, purge_scan_log

DEMO_PASSWORD = "demo2026"
# Each area that has demo data provides demo.build(rng, now, **options) (options: redemptions, shops, password,
# echo; an area takes those it needs), and may provide sign_in_lines().
DEMO_AREAS = ("shops.demo", "verification.members.demo", "verification.till.demo", "reports.demo", "ledger.demo")


def register_commands(app):
    app.cli.add_command(create_user_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(retention_command)


@click.command("create-user")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice(["coordinator"]), default="coordinator", show_default=True)
def create_user_command(username, password, role):
    """Create a coordinator account."""
    try:
        create_user(username, password, role)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(domain_error_message(err)) from None
    click.echo(f"Created {role} {username}")


def domain_error_message(err):
    """A refusal as one line for the operator: its code, then what each field's messages say (or its message)."""
    detail = "; ".join(str(m) for msgs in (err.fields or {}).values() for m in msgs) or err.message
    return f"{err.code}: {detail}"


@click.command("demo")
@click.option("--redemptions", type=click.IntRange(min=0), default=None,
              help="How many redemptions to generate (bulk insert for benchmarks).")
@click.option("--shops", type=click.IntRange(min=1), default=None,
              help="Build a network of this many approved shops across the streets and industries, each with "
                   "offers (default: 33 named shops, four of them not approved).")
@click.option("--if-empty", is_flag=True, help="Do nothing (but print the sign-ins) if data exists.")
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--origin", default="http://127.0.0.1:8000", show_default=True,
              help="Where the app will be served, for the links printed (BASE_URL, when set, is used instead).")
def demo_command(redemptions, shops, if_empty, seed, origin):
    """Fill an empty database with a demo network."""
    if db.session.scalar(select(func.count()).select_from(User)):
        if if_empty:
            click.echo("The database already has data; demo not loaded.")
            print_sign_ins(origin)
            return
        raise click.ClickException("The database is not empty; demo data goes only into an empty one.")
    rng = random.Random(seed)
    now = utcnow()
    for name in DEMO_AREAS:
        importlib.import_module(name).build(rng=rng, now=now, redemptions=redemptions, shops=shops,
                                            password=DEMO_PASSWORD, echo=lambda msg: click.echo(msg, err=True))
    db.session.commit()
    print_sign_ins(origin)


def print_sign_ins(origin):
    """The demo accounts for each role, so a new user can sign in at once; links point at BASE_URL, else
    `origin` (as if a request to it were being served)."""
    users = db.session.scalars(select(User).where(User.username.like("demo-%")).order_by(User.id)).all()
    if not users:
        return
    seen = set()
    base = (current_app.config.get("BASE_URL") or origin).rstrip("/")
    click.echo(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD}) at {base}/login")
    for user in users:
        if user.role in seen or user.role == "member":
            continue
        seen.add(user.role)
        click.echo(f"  {user.role:<12} {user.username}")
    with current_app.test_request_context(base_url=origin):
        for name in DEMO_AREAS:
            module = importlib.import_module(name)
            for line in getattr(module, "sign_in_lines", lambda: ())():
                click.echo("  " + line)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup_command(path):
    """Write a consistent copy of the SQLite database, safe while the app runs."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise click.ClickException("backup copies SQLite databases; use pg_dump for PostgreSQL.")
    target = Path(path)
    if target.exists():
        raise click.ClickException(f"{target} exists; choose a new file.")
    source = sqlite3.connect(url.database)
    dest = sqlite3.connect(target)
    try:
        with dest:
            source.backup(dest)  # the online backup API: a consistent snapshot under concurrent writers
        check = dest.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dest.close()
        source.close()
    if check != "ok":
        raise click.ClickException(f"integrity check of the copy failed: {check}")
    click.echo(f"Backed up {url.database} to {target}")
    current_app.logger.info("backup written to %s", target)


@click.command("retention")
@click.option("--months", type=click.IntRange(min=1), default=None,
              help="Keep personal data this many months after a credential ends (default: RETENTION_MONTHS).")
@click.option("--dry-run", is_flag=True, help="Only count the members that would be cleared.")
def retention_command(months, dry_run):
    """Remove members' personal data past the retention period; totals stay as they are."""
    months = months or current_app.config["RETENTION_MONTHS"]
    count = purge_members(months, dry_run=dry_run)
    verb = "would clear" if dry_run else "cleared"
    click.echo(f"{verb} the personal data of {count} member(s) whose credential ended over {months} months ago")
    if not dry_run:
        click.echo(f"deleted {purge_scan_log(months)} refused-scan record(s) older than {months} months")
