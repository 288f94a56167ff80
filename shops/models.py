from baiye.clock import utcnow
from baiye.extensions import db

SHOP_STATUSES = ("pending", "approved", "rejected", "suspended")
OFFER_KINDS = ("percent_off", "amount_off", "gift", "priority")
LIMIT_PERIODS = ("day", "week", "month", "none")


class Shop(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(100), nullable=False)
    industry = db.Column(db.String(32), nullable=False, index=True)
    street = db.Column(db.String(32), nullable=False, index=True)
    address = db.Column(db.String(200), nullable=False)
    phone = db.Column(db.String(20), nullable=False)
    licence_no = db.Column(db.String(18), nullable=False, index=True)
    hours = db.Column(db.String(100))
    description = db.Column(db.Text)
    # Where the shop is, for "shops near me" and navigation (WGS-84, as a phone's GPS reports it); optional.
    lat = db.Column(db.Float)
    lng = db.Column(db.Float)
    status = db.Column(db.String(16), nullable=False, default="pending", index=True)
    status_reason = db.Column(db.String(500))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    approved_at = db.Column(db.DateTime)

    offers = db.relationship("Offer", back_populates="shop", order_by="Offer.id")
    staff = db.relationship("User", primaryjoin="User.shop_id == Shop.id", viewonly=True,
                            order_by="User.id")

    @property
    def owner(self):
        return next((u for u in self.staff if u.role == "owner"), None)

    @property
    def location(self):
        """{"lat", "lng"}, or None where the shop has not said where it is."""
        return None if self.lat is None or self.lng is None else {"lat": self.lat, "lng": self.lng}

    @location.setter
    def location(self, value):
        self.lat, self.lng = (value["lat"], value["lng"]) if value else (None, None)


class Offer(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    shop_id = db.Column(db.Integer, db.ForeignKey("shop.id"), nullable=False, index=True)
    title = db.Column(db.String(100), nullable=False)
    description = db.Column(db.Text)
    kind = db.Column(db.String(16), nullable=False)
    # percent_off: percent (10 = 9折); amount_off: fen off; gift/priority: declared worth in fen.
    value = db.Column(db.Integer)
    min_spend = db.Column(db.Integer)
    # Comma-separated category keys; empty means every category.
    categories = db.Column(db.String(200), nullable=False, default="")
    limit_per_member = db.Column(db.Integer)
    limit_period = db.Column(db.String(8), nullable=False, default="none")
    starts_on = db.Column(db.Date, nullable=False)
    ends_on = db.Column(db.Date)
    is_active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    shop = db.relationship(Shop, back_populates="offers")

    @property
    def category_list(self):
        return [c for c in self.categories.split(",") if c]

    def takes(self, category):
        return offer_takes(self, category)

    def current_on(self, day):
        """Active and within its dates on a local day."""
        return offer_current_on(self, day)


# The two offer rules as functions, so an Offer and a plain row of the offer table (the till's fast
# reads) are judged by the same code.
def offer_takes(offer, category):
    """Whether the offer applies to a member category (empty `categories`: every category)."""
    return not offer.categories or category in offer.categories.split(",")


def offer_current_on(offer, day):
    """Active and within its dates on a local day."""
    return offer.is_active and offer.starts_on <= day and (offer.ends_on is None or day <= offer.ends_on)
