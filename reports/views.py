import io
from datetime import timedelta

import click
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from sqlalchemy import select
from wtforms import FileField, StringField

from baiye.api import roles_required
from baiye.clock import local_date, utcnow
from baiye.errors import DomainError
from baiye.extensions import db
from baiye.messages import localise
from ledger import services as ledger_services
from shops import services as shop_services
from shops.models import Shop

from . import charts, inspection, photos, rollups, services, stats
from .schemas import PhotoInputSchema, StatsQuerySchema

bp = Blueprint("reports", __name__, cli_group="stats")

FILTER_KEYS = ("from", "to", "street", "industry", "category", "shop_id")
# The dashboard and the printable report open on the same period, so a report printed from a bookmark shows
# the figures the dashboard did.
DEFAULT_DAYS = 90


@bp.app_context_processor
def photo_helpers():
    """`evidence_photos(shop)` for the shops' pages: the photos when the viewer may see them, else None."""
    def evidence_photos(shop):
        return photos.shop_photos(shop.id) if photos.can_view(current_user, shop) else None

    return {"evidence_photos": evidence_photos}


class PhotoForm(FlaskForm):
    photo = FileField(_l("照片"))
    caption = StringField(_l("说明（可选）"))


def _filters_or_errors(default_days=None):
    """(Filters, errors, args) from the query string; invalid input is shown beside the form."""
    args = {k: request.args.get(k, "") for k in FILTER_KEYS}
    if default_days and not args["from"] and not args["to"] and "to" not in request.args:
        today = local_date(utcnow())
        args["from"], args["to"] = (today - timedelta(days=default_days - 1)).isoformat(), today.isoformat()
    try:
        return StatsQuerySchema().load(args), {}, args
    except ValidationError as err:
        return None, localise(err.messages), args


def _query_args(args):
    return {k: v for k, v in args.items() if v}


def weak_form_shops(rows, limit=20):
    """The shops whose redemptions rest most on typed numbers (then on printed cards): the ones to follow up."""
    def weak(row):
        forms, n = row["by_form"], row["redemptions"] or 1
        return (-(forms["phone_digits"] + forms["card_number"]) / n, -forms["card_qr"] / n, -row["redemptions"])
    return sorted((row for row in rows if row["redemptions"]), key=weak)[:limit]


@bp.get("/admin/stats")
@roles_required("coordinator")
def dashboard():
    filters, errors, args = _filters_or_errors(default_days=DEFAULT_DAYS)
    shops = db.session.execute(select(Shop.id, Shop.name).order_by(Shop.name)).all()
    if errors:
        return render_template("reports/dashboard.html", errors=errors, args=args, shops=shops), 422
    try:
        days = min(max(int(request.args.get("days", 30)), 1), 3650)
    except ValueError:
        days = 30
    figures = stats.Figures(filters)  # one read of the roll-ups for every table on the page
    summary = stats.summary(filters, figures=figures)
    trends = {by: stats.breakdown(filters, by, figures) for by in ("week", "month")}
    # A day-by-day chart is readable for about a year; longer periods show weeks and months only.
    bounds = figures.bounds
    trends["day"] = stats.breakdown(filters, "day", figures) if bounds and (bounds[1] - bounds[0]).days < 400 else None
    groups = {by: stats.breakdown(filters, by, figures) for by in ("industry", "street", "category", "shop")}
    return render_template(
        "reports/dashboard.html", errors={}, args=args, shops=shops, filters=filters, summary=summary,
        trends=trends, groups=groups, top_shops=groups["shop"][:10], days=days,
        form_shops=weak_form_shops(groups["shop"]),
        inactive=stats.inactive_shops(days, filters), query=_query_args(args), charts=charts,
        pack_period=evidence_period(filters, bounds))


def evidence_period(filters, bounds):
    """The period the evidence pack button asks for: the dashboard's, an open start closed at the first day with
    data and an open end at today (None when there is no start at all)."""
    start = filters.start or (bounds[0] if bounds else None)
    if start is None:
        return None
    return {"from": start.isoformat(), "to": (filters.end or local_date(utcnow())).isoformat()}


@bp.get("/admin/stats/report")
@roles_required("coordinator")
def report():
    filters, errors, args = _filters_or_errors(default_days=DEFAULT_DAYS)
    if errors:
        shops = db.session.execute(select(Shop.id, Shop.name).order_by(Shop.name)).all()
        return render_template("reports/dashboard.html", errors=errors, args=args, shops=shops), 422
    return render_template("reports/report.html", **inspection.report_content(
        filters, utcnow(), checkpoint=ledger_services.latest_checkpoint()))


@bp.record_once
def offer_public_summary(state):
    """The home page shows the programme's totals when this area is present; the offer form, a shop's typical bill."""
    state.app.extensions["public_summary"] = services.public_totals
    state.app.extensions["typical_bill"] = stats.typical_bill


@bp.get("/public")
def public():
    """The programme's size and what it has given, for everyone (no personal data; cached)."""
    return render_template("reports/public.html", public_summary=services.public_totals())


# --- evidence photos ---------------------------------------------------------------------------

@bp.route("/shops/<int:shop_id>/photos", methods=["GET", "POST"])
@roles_required("coordinator", "owner", "cashier")
def shop_photos(shop_id):
    shop = shop_services.get_shop(shop_id)
    if not photos.can_view(current_user, shop):
        abort(404)
    form = PhotoForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                data = PhotoInputSchema().load({"caption": form.caption.data or ""})
                photos.add_photo(shop, current_user, request.files.get("photo"), data["caption"])
                flash(_("照片已上传。"), "success")
                return redirect(url_for("reports.shop_photos", shop_id=shop.id))
            except ValidationError as err:
                form.caption.errors = list(form.caption.errors) + err.messages.get("caption", [])
            except DomainError as err:
                db.session.rollback()
                if err.status == 403:
                    raise
                form.photo.errors = list(form.photo.errors) + [err.message]
                status = err.status
    return render_template("reports/photos.html", shop=shop, form=form, photos=photos.shop_photos(shop.id),
                           can_upload=photos.can_upload(current_user, shop)), status


@bp.post("/shops/<int:shop_id>/photos/<int:photo_id>/remove")
@roles_required("coordinator", "owner")
def remove_photo(shop_id, photo_id):
    photo = photos.get_photo(photo_id, current_user)
    if photo.shop_id != shop_id:
        abort(404)
    photos.remove_photo(photo, current_user)
    flash(_("照片已删除。"), "info")
    return redirect(url_for("reports.shop_photos", shop_id=shop_id))


@bp.get("/photos/<int:photo_id>.jpg")
@roles_required()
def photo_file(photo_id):
    return _send(photos.get_photo(photo_id, current_user))


@bp.get("/photos/<int:photo_id>/thumb.jpg")
@roles_required()
def photo_thumb(photo_id):
    return _send(photos.get_photo(photo_id, current_user), thumb=True)


def _send(photo, thumb=False):
    data = photos.photo_bytes(photo, thumb)
    if data is None:
        abort(404)
    # A photo never changes once stored (a new one gets a new id): its random name tells the versions apart.
    response = send_file(io.BytesIO(data), mimetype="image/jpeg", max_age=0, last_modified=photo.created_at,
                         etag=f"{photo.stored_name}{'-thumb' if thumb else ''}")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


# --- operator command --------------------------------------------------------------------------

@bp.cli.command("rebuild")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (whole month).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (whole month).")
def rebuild_command(start, end):
    """Recompute the statistics roll-ups from the redemptions (all, or the months of a range)."""
    n = rollups.rebuild_rollups(start.date() if start else None, end.date() if end else None)
    db.session.commit()
    services.clear_public_cache()
    click.echo(f"Rebuilt statistics roll-ups: {n} day rows.")
