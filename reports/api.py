from flask import Blueprint, Response, request
from flask_login import current_user

from baiye.api import API_PREFIX, doc, page_of, query_args, roles_required
from baiye.errors import not_found
from shops import services as shop_services

from . import photos, rollups, services, stats  # noqa: F401 — rollups connects the redemption signals
from .schemas import (BreakdownQuerySchema, BreakdownSchema, InactiveQuerySchema, InactiveShopSchema, PhotoInputSchema,
                      PhotoSchema, PhotoUploadSchema, PublicSchema, StatsQuerySchema, SummarySchema)
from .services import MIMETYPES

bp = Blueprint("reports_api", __name__, url_prefix=API_PREFIX)


@bp.get("/stats/summary")
@roles_required("coordinator")
@doc(query=StatsQuerySchema, response=SummarySchema, summary="Headline figures for a period and filters")
def summary():
    return SummarySchema().dump(stats.summary(query_args(StatsQuerySchema())))


@bp.get("/stats/breakdown")
@roles_required("coordinator")
@doc(query=BreakdownQuerySchema, response=BreakdownSchema,
     summary="Figures by industry, street, category, shop, day, week or month")
def breakdown():
    args = query_args(BreakdownQuerySchema())
    return {"rows": BreakdownSchema().dump({"rows": stats.breakdown(args["filters"], args["by"])})["rows"]}


def _file(filename, mimetype, data):
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.get("/stats/export.<any(csv, xlsx):fmt>")
@roles_required("coordinator")
@doc(query=BreakdownQuerySchema, produces=MIMETYPES, summary="A breakdown as CSV (UTF-8 with BOM) or XLSX; audited")
def export(fmt):
    args = query_args(BreakdownQuerySchema())
    return _file(*services.export_breakdown(current_user, args["filters"], args["by"], fmt))


@bp.get("/stats/inactive.<any(csv, xlsx):fmt>")
@roles_required("coordinator")
@doc(query=InactiveQuerySchema, produces=MIMETYPES,
     summary="Approved shops with no redemption in the last N days, as a file; audited")
def export_inactive(fmt):
    args = query_args(InactiveQuerySchema())
    return _file(*services.export_inactive(current_user, args["filters"], args["days"], fmt))


@bp.get("/stats/inactive")
@roles_required("coordinator")
@doc(query=InactiveQuerySchema, response=page_of(InactiveShopSchema, "InactiveShopPage"),
     summary="Approved shops with no redemption in the last N days (`new`: approved within them)")
def inactive():
    args = query_args(InactiveQuerySchema())
    items = stats.inactive_shops(args["days"], args["filters"])
    return {"items": [{"id": i["shop"].id, "name": i["shop"].name, "phone": i["shop"].phone,
                       "street": i["shop"].street, "industry": i["shop"].industry,
                       "approved_on": i["approved_on"].isoformat() if i["approved_on"] else None, "new": i["new"],
                       "last_day": i["last_day"].isoformat() if i["last_day"] else None} for i in items],
            "total": len(items)}


@bp.get("/stats/public")
@doc(response=PublicSchema, summary="Programme totals for the public (no personal data; cached)", auth=False)
def public():
    return PublicSchema().dump(services.public_totals())


@bp.get("/shops/<int:shop_id>/photos")
@roles_required("coordinator", "owner", "cashier")
@doc(response=page_of(PhotoSchema, "PhotoPage"), summary="A shop's evidence photos (coordinators and the shop's staff)")
def shop_photos(shop_id):
    shop = shop_services.get_shop(shop_id)
    if not photos.can_view(current_user, shop):
        raise not_found()
    items = photos.shop_photos(shop.id)
    return {"items": PhotoSchema(many=True).dump(items), "total": len(items)}


@bp.post("/shops/<int:shop_id>/photos")
@roles_required("coordinator", "owner")
@doc(body=PhotoUploadSchema, content_type="multipart/form-data", response=PhotoSchema, status=201,
     summary="Attach an evidence photo (multipart `file`, optional `caption`); re-encoded, metadata stripped")
def add_photo(shop_id):
    shop = shop_services.get_shop(shop_id)
    if not photos.can_view(current_user, shop):
        raise not_found()
    data = PhotoInputSchema().load(request.form.to_dict())
    photo = photos.add_photo(shop, current_user, request.files.get("file"), data["caption"])
    return PhotoSchema().dump(photo), 201
