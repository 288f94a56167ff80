"""The audit log: who did what to which record, and when."""
from sqlalchemy import func, insert, select

from baiye.accounts.models import User
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


def record_each(actor, action, targets, now=None):
    """Add one entry per (target, detail) of `targets` to the current transaction, as one multi-row INSERT: for an
    act on hundreds of records at once (a sheet of printed cards), where an object apiece through the unit of work
    costs several times as much."""
    at, actor_id = now or utcnow(), getattr(actor, "id", None)
    rows = [{"at": at, "actor_id": actor_id, "action": action, "target_type": type(target).__name__.lower(),
             "target_id": target.id, "detail": detail or None} for target, detail in targets]
    if rows:
        db.session.execute(insert(AuditEntry), rows)


def entries(action=None, actor=None, target_type=None, target_id=None, since=None, until=None, limit=200, offset=0):
    """Audit entries, newest first (by when they happened; an entry recorded later about an earlier moment, as an
    import or the demo writes them, sits at its time), with optional filters; (items, total)."""
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action.like(f"{action}%"))
    if actor:
        query = query.join(User, AuditEntry.actor_id == User.id).where(User.username == actor)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == target_id)
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                               .limit(limit).offset(offset)).all()
    return items, total


def actions():
    """The distinct actions recorded so far, for the filter list."""
    return db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
