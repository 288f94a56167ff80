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
    # Of `redemptions`, how many identified the member by each form (verification.tokens.FORMS); redemptions
    # logged before forms were kept are in none of them.
    phone_qr = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    phone_digits = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    card_qr = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    card_number = db.Column(db.Integer, nullable=False, default=0, server_default="0")

    __table_args__ = (db.Index("ix_stat_day_shop_day", "shop_id", "day"), {"sqlite_with_rowid": False})


class StatDayMembers(db.Model):
    """Who was served per day, shop and category: a sorted array of member ids (uint32).

    Unique people over a period cannot be summed from daily counts; these small sets (and the
    monthly bitmaps below) are unioned instead, which reads far fewer rows than the redemptions.
    """

    __tablename__ = "stat_day_members"
    __table_args__ = {"sqlite_with_rowid": False}  # stored in key order: period scans read neighbouring pages

    day = db.Column(db.Date, primary_key=True)
    shop_id = db.Column(db.Integer, db.ForeignKey("shop.id"), primary_key=True)
    category = db.Column(db.String(32), primary_key=True)
    members = db.Column(db.LargeBinary, nullable=False)


class StatMonthMembers(db.Model):
    """Who was served per month, shop and category: a bitmap indexed by member id."""

    __tablename__ = "stat_month_members"
    __table_args__ = {"sqlite_with_rowid": False}  # stored in key order: period scans read neighbouring pages

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


class PhotoBlob(db.Model):
    """The bytes of an evidence photo and of its thumbnail (JPEG). In the database, so every app server serves
    them and every backup holds them; deleted when the photo is taken down (its ShopPhoto stays, for the audit
    trail)."""

    __tablename__ = "photo_blob"

    photo_id = db.Column(db.Integer, db.ForeignKey("shop_photo.id"), primary_key=True)
    full = db.Column(db.LargeBinary, nullable=False)
    thumb = db.Column(db.LargeBinary, nullable=False)


class StatWeekMembers(db.Model):
    """Who was served per ISO week (Monday first), shop and category: a bitmap indexed by member id."""

    __tablename__ = "stat_week_members"
    __table_args__ = {"sqlite_with_rowid": False}  # stored in key order: period scans read neighbouring pages

    week = db.Column(db.Date, primary_key=True)  # the Monday
    shop_id = db.Column(db.Integer, db.ForeignKey("shop.id"), primary_key=True)
    category = db.Column(db.String(32), primary_key=True)
    bits = db.Column(db.LargeBinary, nullable=False)


class StatAllMembers(db.Model):
    """Who was served per day, ISO week or month and category at any shop: a bitmap. Without a shop
    filter these answer for the whole network from a few rows instead of one per shop."""

    __tablename__ = "stat_all_members"
    __table_args__ = {"sqlite_with_rowid": False}

    grain = db.Column(db.String(5), primary_key=True)  # day | week | month
    first = db.Column(db.Date, primary_key=True)  # the day, the week's Monday, the month's first day
    category = db.Column(db.String(32), primary_key=True)
    bits = db.Column(db.LargeBinary, nullable=False)
