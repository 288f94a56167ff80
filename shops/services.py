"""Shop and offer operations. Plain functions: explicit actor and time, one error type."""
import math

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from baiye import audit
from baiye.accounts.services import create_user, forget_tokens, set_disabled, set_password
from baiye.clock import local_date, utcnow
from baiye.errors import DomainError, forbidden, get_or_not_found, invalid, not_found
from baiye.extensions import db
from baiye.formatting import yuan

from .models import Offer, Shop

TRANSITIONS = {
    "approve": ({"pending", "suspended"}, "approved"),
    "reject": ({"pending"}, "rejected"),
    "suspend": ({"approved"}, "suspended"),
}


def register_shop(data, now=None):
    """A new pending shop and its owner account, from validated registration data."""
    now = now or utcnow()
    owner_data = data.pop("owner")
    require_free_licence(data["licence_no"])
    shop = Shop(**data, status="pending", created_at=now)
    db.session.add(shop)
    db.session.flush()
    owner = create_user(owner_data["username"], owner_data["password"], "owner", shop=shop)
    db.session.flush()
    audit.record(owner, "shop.register", shop, now=now, name=shop.name)
    db.session.commit()
    return shop


def require_free_licence(licence_no, shop=None):
    """A business licence belongs to one shop (a rejected registration does not hold it)."""
    taken = db.session.scalar(select(Shop.id).where(
        Shop.licence_no == licence_no, Shop.status != "rejected", Shop.id != getattr(shop, "id", None)))
    if taken:
        raise DomainError("duplicate_shop", _("该营业执照号已登记过商户。"), 409,
                          fields={"licence_no": [_("该营业执照号已登记过商户。")]})


# What the coordinators vetted: once a shop is approved, only they change it (a new name or licence is a new review).
VETTED = ("name", "licence_no")


def update_shop(shop, actor, data, now=None):
    """The owner's changes to the shop's details (hours, phone, an address); audited with the fields changed.
    A rejected shop, once corrected, goes back to the coordinators for review, its licence checked again (a
    rejected registration does not hold it)."""
    require_owner(actor, shop)
    changed = sorted(key for key, value in data.items() if getattr(shop, key) != value)
    if shop.status in ("approved", "suspended"):
        locked = {key: [_("通过审核后，店铺名称和营业执照号需由区双拥办更改，请联系区双拥办。")]
                  for key in changed if key in VETTED}
        if locked:
            raise invalid(locked)
    if shop.status == "rejected" or "licence_no" in changed:
        require_free_licence(data.get("licence_no", shop.licence_no), shop)
    for key in changed:
        setattr(shop, key, data[key])
    resubmitted = shop.status == "rejected"
    if resubmitted:
        shop.status, shop.status_reason = "pending", None
    audit.record(actor, "shop.resubmit" if resubmitted else "shop.update", shop, now=now or utcnow(), fields=changed)
    db.session.commit()
    return shop


def set_location(shop, actor, location, now=None):
    """A coordinator's correction of where the shop is (None: removed); audited with the old and new position."""
    if actor.role != "coordinator":
        raise forbidden()
    before = shop.location
    shop.location = location
    audit.record(actor, "shop.location", shop, now=now or utcnow(), before=before, after=location)
    db.session.commit()
    return shop


def get_shop(shop_id):
    return get_or_not_found(Shop, shop_id, _("找不到该商户。"))


def can_manage(user, shop):
    """Coordinators, and the shop's own staff."""
    return user is not None and user.is_authenticated and (
        user.role == "coordinator" or (user.role in ("owner", "cashier") and user.shop_id == shop.id))


def visible_shop(shop_id, viewer):
    """A shop as the viewer may see it: anyone sees approved ones; others only their own staff and coordinators."""
    shop = get_shop(shop_id)
    if shop.status != "approved" and not can_manage(viewer, shop):
        raise not_found(_("找不到该商户。"))
    return shop


def change_status(shop, action, actor, reason=None, now=None):
    """Approve, reject or suspend a shop, with a reason for the last two; audited."""
    allowed_from, target = TRANSITIONS[action]
    if action in ("reject", "suspend") and not (reason and reason.strip()):
        raise invalid({"reason": [_("请填写原因。")]})
    if shop.status not in allowed_from:
        raise DomainError("invalid_transition",
                          _("商户当前状态不能执行该操作。"), 409, status_from=shop.status)
    now = now or utcnow()
    shop.status = target
    shop.status_reason = reason.strip() if reason else None
    if target == "approved" and shop.approved_at is None:
        shop.approved_at = now
    audit.record(actor, f"shop.{action}", shop, now=now, reason=shop.status_reason)
    db.session.commit()
    return shop


def require_owner(actor, shop):
    if not (actor.role == "owner" and actor.shop_id == shop.id):
        raise forbidden(_("只有本店店主可以执行此操作。"))


def add_cashier(shop, actor, data, now=None):
    """An owner adds a cashier account to their shop."""
    require_owner(actor, shop)
    user = create_user(data["username"], data["password"], "cashier", shop=shop,
                       display_name=data.get("display_name"))
    db.session.flush()
    audit.record(actor, "staff.add", user, now=now, shop_id=shop.id)
    db.session.commit()
    return user


def _cashier(shop, actor, user_id):
    """The shop's cashier with this id, for its owner."""
    require_owner(actor, shop)
    user = next((u for u in shop.staff if u.id == user_id and u.role == "cashier"), None)
    if user is None:
        raise not_found(_("找不到该收银员。"))
    return user


def set_cashier_password(shop, actor, user_id, password, now=None):
    """A new password for a cashier who forgot theirs (checked by the schema); every device it was signed in
    on is signed out. Audited, without the password."""
    user = _cashier(shop, actor, user_id)
    set_password(user, password)
    audit.record(actor, "staff.password", user, now=now or utcnow(), shop_id=shop.id)
    db.session.commit()
    forget_tokens()
    return user


def set_cashier_enabled(shop, actor, user_id, enabled, now=None):
    """Disable a cashier account (kept for the history of what it logged), or let it sign in again; audited."""
    user = _cashier(shop, actor, user_id)
    set_disabled(user, not enabled)
    audit.record(actor, "staff.enable" if enabled else "staff.disable", user, now=now, shop_id=shop.id)
    db.session.commit()
    forget_tokens()
    return user


def create_offer(shop, actor, data, now=None):
    """A new offer of the shop; one given no first day starts on the local day of `now`."""
    now = now or utcnow()
    require_owner(actor, shop)
    problems = offer_problems(data)
    if problems:
        raise invalid(problems)
    offer = Offer(shop=shop, **{"starts_on": local_date(now), **data})
    db.session.add(offer)
    db.session.flush()
    audit.record(actor, "offer.create", offer, now=now, shop_id=shop.id)
    db.session.commit()
    return offer


def offer_problems(data):
    """Rules across an offer's fields: {field: [message]} (empty when consistent)."""
    problems = {}
    kind, value = data.get("kind"), data.get("value")
    if kind == "percent_off" and (value is None or not 1 <= value <= 99):
        problems["value"] = [_("折扣比例应为1–99（例如10表示9折）。")]
    if kind == "amount_off" and (value is None or value <= 0):
        problems["value"] = [_("立减金额必须大于0。")]
    min_spend = data.get("min_spend")
    if kind == "amount_off" and value and min_spend and value >= min_spend:
        # 立减 ¥120 with 最低消费 ¥100 (a typo for ¥20) would make a ¥100 bill free.
        problems["value"] = [_("立减金额（¥%(amount)s）应低于最低消费（¥%(min)s），否则消费满¥%(min)s就免单了。请核对金额。",
                               amount=yuan(value), min=yuan(min_spend))]
    starts, ends = data.get("starts_on"), data.get("ends_on")
    if starts and ends and ends < starts:
        problems["ends_on"] = [_("结束日期不能早于开始日期。")]
    return problems


def get_offer(offer_id):
    return get_or_not_found(Offer, offer_id, _("找不到该优惠。"))


# An amount off this large against the shop's average bill (or, with no bills yet, its minimum spend) is worth a
# second look before it is saved: a warning beside the field, never a refusal.
LARGE_AGAINST_TYPICAL_BILL = 0.3
LARGE_AGAINST_MIN_SPEND = 0.5


def offer_warning(kind, value, min_spend, typical_bill):
    """A warning for an amount off that is large against the shop's typical bill (fen, or None), else None."""
    if kind != "amount_off" or not value:
        return None
    if typical_bill and value >= LARGE_AGAINST_TYPICAL_BILL * typical_bill:
        return warning_text("typical", yuan(value), yuan(typical_bill), round(100 * value / typical_bill))
    if not typical_bill and min_spend and min_spend > value >= LARGE_AGAINST_MIN_SPEND * min_spend:
        return warning_text("min_spend", yuan(value), yuan(min_spend), round(100 * value / min_spend))
    return None


def warning_text(against, amount, reference, pct):
    """The words of `offer_warning`; the offer form's script fills in the same text ("{amount}", ...) as one types."""
    if against == "typical":
        return _("立减¥%(amount)s，约为本店近期平均每笔消费（¥%(ref)s）的%(pct)s%%。请确认金额无误。",
                 amount=amount, ref=reference, pct=pct)
    return _("立减¥%(amount)s，已是最低消费（¥%(ref)s）的%(pct)s%%。请确认金额无误。", amount=amount, ref=reference, pct=pct)


def update_offer(offer, actor, data, now=None):
    """Change an offer's fields; checks that span fields are made on the merged result."""
    require_owner(actor, offer.shop)
    merged = {
        "kind": data.get("kind", offer.kind),
        "value": data.get("value", offer.value),
        "min_spend": data.get("min_spend", offer.min_spend),
        "starts_on": data.get("starts_on", offer.starts_on),
        "ends_on": data.get("ends_on", offer.ends_on),
    }
    problems = offer_problems(merged)
    if problems:
        raise invalid(problems)
    for key, value in data.items():
        setattr(offer, key, value)
    audit.record(actor, "offer.update", offer, now=now, fields=sorted(data))
    db.session.commit()
    return offer


def deactivate_offer(offer, actor, now=None):
    """Offers are never deleted: redemptions keep pointing at them."""
    return set_offer_active(offer, actor, False, now)


def set_offer_active(offer, actor, active, now=None):
    """Stop an offer, or run it again (within its dates); audited."""
    require_owner(actor, offer.shop)
    offer.is_active = active
    audit.record(actor, "offer.activate" if active else "offer.deactivate", offer, now=now)
    db.session.commit()
    return offer


def current_offers(shop, day=None, category=None):
    """The shop's offers running today (and for a category, those it takes)."""
    day = day or local_date(utcnow())
    return [o for o in shop.offers if o.current_on(day) and (category is None or o.takes(category))]


def _offer_running(day):
    return (Offer.is_active.is_(True) & (Offer.starts_on <= day)
            & (or_(Offer.ends_on.is_(None), Offer.ends_on >= day)))


class DirectoryEntry:
    """A shop as the directory lists it: the shop's own attributes, its running offers for the chosen category
    (all of them without one), and how far it is from the caller, in metres (None: no position, or no location)."""

    def __init__(self, shop, offers, distance_m=None):
        self.shop, self.offers, self.distance_m = shop, offers, distance_m

    def __getattr__(self, name):
        return getattr(self.shop, name)


EARTH_RADIUS_M = 6_371_000


def distance_m(a, b):
    """The great-circle distance in whole metres between two {"lat", "lng"} points (haversine)."""
    lat1, lng1, lat2, lng2 = map(math.radians, (a["lat"], a["lng"], b["lat"], b["lng"]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h))))


# Roughly mainland China, Hainan and the islands to the south; a point outside is kept (lat/lng are valid
# anywhere) but the person who set it is told, as it is most likely a slip (lat and lng swapped, a sign lost).
CHINA_BOUNDS = {"lat": (3.8, 53.6), "lng": (73.5, 135.1)}


def location_warning(location):
    """A warning for a location outside China (None when it is inside, or not set)."""
    if location and not all(low <= location[key] <= high for key, (low, high) in CHINA_BOUNDS.items()):
        return _("该位置不在中国境内（纬度 %(lat)s，经度 %(lng)s），请确认没有填反或漏掉负号。",
                 lat=location["lat"], lng=location["lng"])
    return None


def directory(industry=None, street=None, category=None, q=None, near=None, page=1, per_page=50, now=None):
    """Approved shops matching the filters, as DirectoryEntry items; (items, total). With a category, a shop is
    listed only for an offer running today that takes the category, and shows only such offers. With `near`
    ({"lat", "lng"}), nearest first (shops without a location last, by name) with each one's distance."""
    day = local_date(now or utcnow())
    query = select(Shop).where(Shop.status == "approved")
    if industry:
        query = query.where(Shop.industry == industry)
    if street:
        query = query.where(Shop.street == street)
    if q:
        text = q.strip()  # "%" and "_" are searched for as typed (autoescape), not as wildcards
        query = query.where(or_(Shop.name.icontains(text, autoescape=True), Shop.address.icontains(text, autoescape=True),
                                Shop.offers.any(Offer.title.icontains(text, autoescape=True))))
    if category:
        query = query.where(Shop.offers.any(_offer_running(day) & or_(
            Offer.categories == "", ("," + Offer.categories + ",").like(f"%,{category},%"))))
    start = (page - 1) * per_page
    listed = query.options(selectinload(Shop.offers)).order_by(Shop.name, Shop.id)
    if near is None:
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        shops = db.session.scalars(listed.limit(per_page).offset(start)).all()
        return [DirectoryEntry(shop, current_offers(shop, day, category)) for shop in shops], total
    # Nearest first, in Python: a district has a few hundred shops, and SQLite has no trigonometry to sort with.
    entries = [DirectoryEntry(shop, current_offers(shop, day, category),
                              distance_m(near, shop.location) if shop.location else None)
               for shop in db.session.scalars(listed).all()]
    entries.sort(key=lambda e: (e.distance_m is None, e.distance_m or 0))  # stable: ties keep name order
    return entries[start:start + per_page], len(entries)


def shops_by_status(status=None):
    query = select(Shop).order_by(Shop.created_at.desc())
    if status:
        query = query.where(Shop.status == status)
    return db.session.scalars(query).all()


def status_counts():
    """How many shops are in each status (every status present, zero included)."""
    rows = db.session.execute(select(Shop.status, func.count()).group_by(Shop.status)).all()
    counts = dict.fromkeys(("pending", "approved", "suspended", "rejected"), 0)
    counts.update({status: n for status, n in rows})
    return counts
