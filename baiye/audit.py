"""The audit log: who did what to which record, and when."""
from baiye.clock import utcnow
from baiye.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    actor_id = db.Column(db.Integer, db.ForeignKey("user.id"), index=True)
    action = db.Column(db.String(48), nullable=False, index=True)
    target_type = db.Column(db.String(32))
    target_id = db.Column(db.Integer)
    detail = db.Column(db.JSON)

    actor = db.relationship("User")


def record(actor, action, target=None, now=None, **detail):
    """Add an audit entry to the current transaction (the caller commits)."""
    entry = AuditEntry(
        at=now or utcnow(),
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=type(target).__name__.lower() if target is not None else None,
        target_id=getattr(target, "id", None),
        detail=detail or None,
    )
    db.session.add(entry)
    return entry
