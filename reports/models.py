"""Roll-ups that keep the coordinator's figures fast, and shops' evidence photos.

The roll-ups are derived data: `reports.rollups` keeps them in step with every logged or voided
redemption, and `rebuild_rollups()` recomputes them from the redemptions at any time.
"""
from baiye.clock import utcnow
from baiye.extensions import db


class StatDay(db.Model):
    """Live (unvoided) redemptions summed per local day, shop and beneficiary category."""

    __tablename__ = "stat_day"

    day = db.Column(db.Date, primary_key=True)
    shop_id = db.Column(db.Integer, db.ForeignKey("shop.id"), primary_key=True)
    category = db.Column(db.String(32), primary_key=True)
    redemptions = db.Column(db.Integer, nullable=False, default=0)
    bill = db.Column(db.BigInteger, nullable=False, default=0)
    discount = db.Column(db.BigInteger, nullable=False, default=0)

    __table_args__ = (db.Index("ix_stat_day_shop_day", "shop_id", "day"),)


class StatDayMembers(db.Model):
    """Who was served per day, shop and category: a sorted array of member ids (uint32).

    Unique people over a period cannot be summed from daily counts; these small sets (and the
    monthly bitmaps below) are unioned instead, which reads far fewer rows than the redemptions.
    """

    __tablename__ = "stat_day_members"

    day = db.Column(db.Date, primary_key=True)
    shop_id = db.Column(db.Integer, db.ForeignKey("shop.id"), primary_key=True)
    category = db.Column(db.String(32), primary_key=True)
    members = db.Column(db.LargeBinary, nullable=False)


class StatMonthMembers(db.Model):
    """Who was served per month, shop and category: a bitmap indexed by member id."""

    __tablename__ = "stat_month_members"

    month = db.Column(db.Date, primary_key=True)  # the first day of the month
    shop_id = db.Column(db.Integer, db.ForeignKey("shop.id"), primary_key=True)
    category = db.Column(db.String(32), primary_key=True)
    bits = db.Column(db.LargeBinary, nullable=False)


class ShopPhoto(db.Model):
    """An evidence photo of a shop (the plaque at the door, an activity), re-encoded and stripped."""

    __tablename__ = "shop_photo"

    id = db.Column(db.Integer, primary_key=True)
    shop_id = db.Column(db.Integer, db.ForeignKey("shop.id"), nullable=False, index=True)
    uploaded_by_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    caption = db.Column(db.String(200))
    stored_name = db.Column(db.String(64), nullable=False, unique=True)
    width = db.Column(db.Integer, nullable=False)
    height = db.Column(db.Integer, nullable=False)
    size = db.Column(db.Integer, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    removed_at = db.Column(db.DateTime)

    shop = db.relationship("Shop")
    uploaded_by = db.relationship("User")


class StatWeekMembers(db.Model):
    """Who was served per ISO week (Monday first), shop and category: a bitmap indexed by member id."""

    __tablename__ = "stat_week_members"

    week = db.Column(db.Date, primary_key=True)  # the Monday
    shop_id = db.Column(db.Integer, db.ForeignKey("shop.id"), primary_key=True)
    category = db.Column(db.String(32), primary_key=True)
    bits = db.Column(db.LargeBinary, nullable=False)


class StatDayAllMembers(db.Model):
    """Who was served per day and category at any shop: a bitmap, for day trends without shop filters."""

    __tablename__ = "stat_day_all_members"

    day = db.Column(db.Date, primary_key=True)
    category = db.Column(db.String(32), primary_key=True)
    bits = db.Column(db.LargeBinary, nullable=False)
