"""The till's records, read: a redemption, a shop's list, day and period totals, exports, refused scans.

The write side (verify, redeem, void) is verification.till.operations.
"""
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from baiye import audit
from baiye.errors import forbidden, not_found
from baiye.extensions import db
from baiye.validators import is_row_id

from .access import can_see, is_till
from .models import Redemption


def get_redemption(redemption_id, actor):
    """A redemption as the actor may see it: their own shop's, or any for a coordinator."""
    redemption = db.session.get(Redemption, redemption_id) if is_row_id(redemption_id) else None
    if redemption is None or not can_see(actor, redemption):
        raise not_found(_("找不到该核销记录。"))
    return redemption


def _filtered(query, shop_id=None, date_from=None, date_to=None):
    if shop_id is not None:
        query = query.where(Redemption.shop_id == shop_id)
    if date_from is not None:
        query = query.where(Redemption.day >= date_from)
    if date_to is not None:
        query = query.where(Redemption.day <= date_to)
    return query


def list_redemptions(actor, shop_id=None, date_from=None, date_to=None, page=1, per_page=50):
    """Redemptions the actor may see, newest first; (items, total). Shop staff see their own shop only."""
    if is_till(actor):
        if shop_id is not None and shop_id != actor.shop_id:
            raise forbidden(_("只能查看本店的核销记录。"))
        shop_id = actor.shop_id
    elif actor.role != "coordinator":
        raise forbidden()
    query = _filtered(select(Redemption), shop_id, date_from, date_to)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(
        query.options(selectinload(Redemption.offer), selectinload(Redemption.credential),
                      selectinload(Redemption.cashier))
        .order_by(Redemption.created_at.desc(), Redemption.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    return items, total


def shop_totals(shop_id, date_from=None, date_to=None):
    """Count, bill and discount of a shop's redemptions that stand (voided ones left out)."""
    query = _filtered(select(func.count(), func.coalesce(func.sum(Redemption.bill), 0),
                             func.coalesce(func.sum(Redemption.discount), 0))
                      .where(Redemption.voided_at.is_(None)), shop_id, date_from, date_to)
    count, bill, discount = db.session.execute(query).one()
    return {"redemptions": count, "bill": int(bill), "discount": int(discount)}


def shop_days(shop_id, date_from, date_to):
    """Per local day: redemptions, people served, bill and discount (voided left out), newest first."""
    rows = db.session.execute(
        _filtered(select(Redemption.day, func.count(), func.count(Redemption.member_id.distinct()),
                         func.sum(Redemption.bill), func.sum(Redemption.discount))
                  .where(Redemption.voided_at.is_(None)), shop_id, date_from, date_to)
        .group_by(Redemption.day).order_by(Redemption.day.desc()))
    return [{"day": day, "redemptions": n, "people": people, "bill": int(bill or 0), "discount": int(disc or 0)}
            for day, n, people, bill, disc in rows]


def shop_redemptions(shop_id, date_from, date_to, limit=None):
    """A shop's redemptions between two local days, voided included, newest first."""
    query = (_filtered(select(Redemption), shop_id, date_from, date_to)
             .options(selectinload(Redemption.offer), selectinload(Redemption.credential),
                      selectinload(Redemption.cashier))
             .order_by(Redemption.created_at.desc(), Redemption.id.desc()))
    if limit:
        query = query.limit(limit)
    return db.session.scalars(query).all()


def first_day(shop_id):
    return db.session.scalar(select(func.min(Redemption.day)).where(Redemption.shop_id == shop_id))


def export_rows(shop, actor, date_from, date_to, now=None):
    """The shop's redemptions as rows for a CSV; the export is audited."""
    if not (is_till(actor, shop) or actor.role == "coordinator"):
        raise forbidden()
    items = shop_redemptions(shop.id, date_from, date_to)
    audit.record(actor, "redemption.export", shop, now=now, date_from=str(date_from), date_to=str(date_to),
                 rows=len(items))
    db.session.commit()
    return items
