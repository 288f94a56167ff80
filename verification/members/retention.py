"""Privacy: personal data is kept only while the programme needs it.

A member whose credential ended (expired, or revoked with no active one left) more than
RETENTION_MONTHS ago loses name, phone and ID hash; the row, its category and every redemption
stay, so every total and count of people served is unchanged.
"""
from sqlalchemy import delete, select, update

from baiye import audit
from baiye.accounts.models import ApiToken, User
from baiye.accounts.services import forget_tokens
from baiye.clock import day_start_utc, local_date, utcnow
from baiye.extensions import db

from .models import ActivationLink, Credential, Member
from ..till.models import ScanLog

PURGED_NAME = "（已清除）"
PURGE_REASON = "个人信息已按保留期限清除"


def months_before(day, months):
    """The same day `months` calendar months earlier (clamped to the month's end)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for dd in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=dd)
        except ValueError:
            continue


def ended_on(member):
    """The local day the member's entitlement ended, or None while it runs."""
    if any(c.status == "active" for c in member.credentials):
        return member.expires_on
    revoked = [local_date(c.revoked_at) for c in member.credentials if c.revoked_at]
    return min([member.expires_on] + ([max(revoked)] if revoked else []))


def members_due(months, now=None):
    """Members whose credential ended more than `months` months before today."""
    cutoff = months_before(local_date(now or utcnow()), months)
    candidates = db.session.scalars(select(Member).where(Member.purged_at.is_(None))).all()
    return [m for m in candidates if (ended_on(m) or cutoff) < cutoff]


def purge_members(months, actor=None, now=None, dry_run=False):
    """Remove the personal data of members past retention; returns how many (or would be)."""
    now = now or utcnow()
    due = members_due(months, now)
    if dry_run or not due:
        return len(due)
    ids = [m.id for m in due]
    for member in due:
        member.name, member.phone, member.id_hash, member.id_last4 = PURGED_NAME, None, None, None
        member.station = None
        member.purged_at = now
    db.session.execute(update(Credential).where(Credential.member_id.in_(ids), Credential.status == "active")
                       .values(status="revoked", revoked_at=now, revoked_reason=PURGE_REASON))
    db.session.execute(delete(ActivationLink).where(ActivationLink.member_id.in_(ids)))
    user_ids = select(User.id).where(User.member_id.in_(ids)).scalar_subquery()
    db.session.execute(delete(ApiToken).where(ApiToken.user_id.in_(user_ids)))
    db.session.execute(update(User).where(User.member_id.in_(ids))  # their phones are signed out for good
                       .values(is_disabled=True, session_epoch=User.session_epoch + 1))
    audit.record(actor, "member.purge", None, now=now, count=len(ids), months=months,
                 member_ids=ids[:1000])
    db.session.commit()
    forget_tokens()
    return len(ids)


def purge_scan_log(months, now=None):
    """Delete refused-scan records older than `months` months; returns how many."""
    now = now or utcnow()
    cutoff = day_start_utc(months_before(local_date(now), months))
    deleted = db.session.execute(delete(ScanLog).where(ScanLog.at < cutoff)).rowcount
    db.session.commit()
    return deleted
