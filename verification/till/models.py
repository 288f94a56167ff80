"""Tables of the till: redemptions, per-member usage counters and the refused-scan log."""
from sqlalchemy import text

from baiye.clock import utcnow
from baiye.extensions import db

from ..members.models import Credential, Member


class Redemption(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    shop_id = db.Column(db.Integer, db.ForeignKey("shop.id"), nullable=False)
    offer_id = db.Column(db.Integer, db.ForeignKey("offer.id"), nullable=False, index=True)
    cashier_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    member_id = db.Column(db.Integer, db.ForeignKey("member.id"), nullable=False, index=True)
    credential_id = db.Column(db.Integer, db.ForeignKey("credential.id"), nullable=False)
    category = db.Column(db.String(32), nullable=False)
    bill = db.Column(db.Integer, nullable=False)  # fen
    discount = db.Column(db.Integer, nullable=False)  # fen
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    day = db.Column(db.Date, nullable=False)  # local calendar day, for reporting
    idempotency_key = db.Column(db.String(64))
    # The limit period whose usage counter this redemption took ("" when the offer had no limit), so a
    # void gives back exactly that use even if the owner changed the offer's period since.
    usage_period = db.Column(db.String(16))
    voided_at = db.Column(db.DateTime)
    void_reason = db.Column(db.String(500))
    voided_by_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    # How the member was identified (verification.tokens.FORMS); NULL for redemptions logged before it was kept.
    credential_form = db.Column(db.String(16))

    shop = db.relationship("Shop")
    offer = db.relationship("Offer")
    member = db.relationship(Member)
    credential = db.relationship(Credential)
    cashier = db.relationship("User", foreign_keys=[cashier_id])

    __table_args__ = (
        db.UniqueConstraint("shop_id", "idempotency_key", name="uq_redemption_shop_key"),
        db.Index("ix_redemption_shop_created", "shop_id", "created_at"),
        db.Index("ix_redemption_day", "day"),
        # The voided ones only (few): the ledger's appender finds the voids not yet in the log by this.
        db.Index("ix_redemption_voided_at", "voided_at", sqlite_where=text("voided_at IS NOT NULL"),
                 postgresql_where=text("voided_at IS NOT NULL")),
    )


class UsageCounter(db.Model):
    """How many times a member used an offer in one limit period.

    The limit holds under concurrency because a use is counted by a guarded
    `UPDATE ... SET used = used + 1 WHERE ... AND used < :limit` on this row, whose row count
    tells whether the use was granted; SQLite and PostgreSQL both serialise it.
    """

    __tablename__ = "usage_counter"

    member_id = db.Column(db.Integer, db.ForeignKey("member.id"), primary_key=True)
    offer_id = db.Column(db.Integer, db.ForeignKey("offer.id"), primary_key=True, index=True)
    period = db.Column(db.String(16), primary_key=True)  # baiye.clock.period_key: 2026-11-21, 2026-W47, 2026-11, all
    used = db.Column(db.Integer, nullable=False, default=0)


class ScanLog(db.Model):
    """A refused verification or redemption, with its reason (evidence, and a trail of guessing)."""

    __tablename__ = "scan_log"

    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(db.DateTime, nullable=False, default=utcnow)
    action = db.Column(db.String(16), nullable=False)  # verify | redeem
    reason = db.Column(db.String(32), nullable=False)  # the refusal code (or verify reason)
    shop_id = db.Column(db.Integer, db.ForeignKey("shop.id"))
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    credential_id = db.Column(db.Integer, db.ForeignKey("credential.id"))
    offer_id = db.Column(db.Integer, db.ForeignKey("offer.id"))
    code_tail = db.Column(db.String(8))  # last characters of what was scanned, never the whole code
    credential_form = db.Column(db.String(16))  # the form the scan was in, when it could be told

    __table_args__ = (db.Index("ix_scan_log_shop_at", "shop_id", "at"),)
