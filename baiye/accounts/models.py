from flask_login import UserMixin

from baiye.clock import utcnow
from baiye.extensions import db

ROLES = ("coordinator", "owner", "cashier", "member")


class User(UserMixin, db.Model):
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(64), nullable=False, unique=True)
    password_hash = db.Column(db.String(255))
    role = db.Column(db.String(16), nullable=False)
    shop_id = db.Column(db.Integer, db.ForeignKey("shop.id"), index=True)
    member_id = db.Column(db.Integer, db.ForeignKey("member.id"), index=True)
    display_name = db.Column(db.String(64))
    is_disabled = db.Column(db.Boolean, nullable=False, default=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_login_at = db.Column(db.DateTime)
    # Part of every session's and remember-me cookie's user id: raising it signs the user out everywhere.
    session_epoch = db.Column(db.Integer, nullable=False, default=0, server_default="0")

    shop = db.relationship("Shop", foreign_keys=[shop_id])

    @property
    def is_active(self):
        return not self.is_disabled

    def get_id(self):
        """The id Flask-Login keeps in the session and the remember-me cookie: "<id>.<session epoch>"."""
        return f"{self.id}.{self.session_epoch}"

    def has_role(self, *roles):
        return self.role in roles


class ApiToken(db.Model):
    """A bearer token, stored as its SHA-256 so a database leak gives no sessions away."""

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False, index=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    expires_at = db.Column(db.DateTime, nullable=False)

    user = db.relationship(User)
