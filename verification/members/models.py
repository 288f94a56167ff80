from baiye.clock import utcnow
from baiye.extensions import db

from ..tokens import new_digits_slot

CATEGORY_KEYS = ("active_duty", "family", "veteran", "martyr_family")


class Member(db.Model):
    """A verified beneficiary. Only what the programme needs; never the ID number in clear."""

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(64), nullable=False)
    category = db.Column(db.String(32), nullable=False, index=True)
    phone = db.Column(db.String(20))
    id_hash = db.Column(db.String(64), unique=True)  # keyed HMAC of the whole ID number
    id_last4 = db.Column(db.String(4))
    expires_on = db.Column(db.Date, nullable=False)
    station = db.Column(db.String(100))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    purged_at = db.Column(db.DateTime)  # personal data removed by the retention command

    credentials = db.relationship("Credential", back_populates="member", order_by="Credential.serial")


class Credential(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    member_id = db.Column(db.Integer, db.ForeignKey("member.id"), nullable=False, index=True)
    public_id = db.Column(db.String(32), nullable=False, unique=True)
    card_no = db.Column(db.String(16), nullable=False, unique=True)
    serial = db.Column(db.Integer, nullable=False, default=1)
    status = db.Column(db.String(16), nullable=False, default="active")
    issued_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    revoked_at = db.Column(db.DateTime)
    revoked_reason = db.Column(db.String(500))
    # The one form the member carries (DESIGN.md): "phone" (rotating QR and digits; set when a phone is
    # activated) or "card" (the printed card; set when a coordinator prints it). The other form is refused.
    live_form = db.Column(db.String(8), nullable=False, default="card", server_default="card")
    # The first four digits (after the 0) of the phone's typed number: narrows a typed number to a few credentials.
    digits_slot = db.Column(db.Integer, nullable=False, default=new_digits_slot, server_default="0",
                            index=True)

    member = db.relationship(Member, back_populates="credentials")

    __table_args__ = (
        # At most one active credential per member, on SQLite and PostgreSQL alike.
        db.Index("uq_credential_one_active", "member_id", unique=True,
                 sqlite_where=db.text("status = 'active'"),
                 postgresql_where=db.text("status = 'active'")),
    )


class ActivationLink(db.Model):
    """A one-time link that binds a member's phone. Only the token's SHA-256 is stored."""

    __tablename__ = "activation_link"

    id = db.Column(db.Integer, primary_key=True)
    member_id = db.Column(db.Integer, db.ForeignKey("member.id"), nullable=False, index=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    created_by_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    used_at = db.Column(db.DateTime)
    superseded_at = db.Column(db.DateTime)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"))  # the member account it signed in

    member = db.relationship(Member)
