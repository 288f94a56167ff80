"""Who works at a till: a shop's owner and its cashiers, each for their own shop only."""
from flask_babel import gettext as _

from baiye.errors import forbidden
from baiye.extensions import db
from shops.models import Shop

TILL_ROLES = ("owner", "cashier")


def is_till(user, shop=None):
    """An owner or cashier (of `shop`, when given)."""
    return (user is not None and getattr(user, "is_authenticated", False) and user.role in TILL_ROLES
            and user.shop_id is not None and (shop is None or user.shop_id == shop.id))


def require_till(actor, shop):
    """Only the shop's own owner or cashier scans and redeems (the shop's status is checked with its offers)."""
    if not is_till(actor, shop):
        raise forbidden(_("只有本店店主或收银员可以核销。"))



def can_see(actor, redemption):
    return actor.role == "coordinator" or is_till(actor) and actor.shop_id == redemption.shop_id


def till_shop(user):
    """The shop an owner or cashier works at (None for anyone else)."""
    return db.session.get(Shop, user.shop_id) if is_till(user) else None
