"""The printable inspection report's content, gathered once for the page (/admin/stats/report) and the evidence pack."""
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from baiye.api import API_PREFIX
from baiye.clock import local_date
from baiye.extensions import db
from shops import services as shop_services
from shops.models import Shop
from verification.qr import qr_svg_inline
from verification.tokens import public_origin

from . import charts, photos, stats


def participating_shops(filters):
    """The approved shops the filters select, by street, industry and name: the ones the report lists."""
    return db.session.scalars(
        select(Shop).where(Shop.status == "approved", *stats.shop_conditions(filters))
        .options(selectinload(Shop.offers)).order_by(Shop.street, Shop.industry, Shop.name)).all()


def report_content(filters, now, checkpoint=None, origin=None):
    """The names templates/reports/_report.html renders: figures of the period, its shops with their offers and
    photos, the time it was made, and the ledger checkpoint whose signed note the report carries as a QR (None: no
    QR), with where the published checkpoints are to compare it with (`origin`: the site's; BASE_URL by default)."""
    participating = participating_shops(filters)
    figures = stats.Figures(filters)
    return dict(
        filters=filters, summary=stats.summary(filters, now=now, figures=figures),
        streets=stats.breakdown(filters, "street", figures), industries=stats.breakdown(filters, "industry", figures),
        categories=stats.breakdown(filters, "category", figures), months=stats.breakdown(filters, "month", figures),
        participating=participating, by_shop={row["key"]: row for row in stats.breakdown(filters, "shop", figures)},
        offers={s.id: shop_services.current_offers(s, day=local_date(now)) for s in participating},
        photos=photos.photos_by_shop([s.id for s in participating]), charts=charts, generated=now,
        checkpoint=checkpoint, checkpoint_qr=Markup(qr_svg_inline(checkpoint.note)) if checkpoint else None,
        checkpoints_url=f"{origin or public_origin()}{API_PREFIX}/ledger/checkpoints")
