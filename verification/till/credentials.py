"""The credential a scanned or typed code stands for, read on every scan through the till's SQL."""
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import bindparam, select

from ..members.models import Credential, Member
from ..tokens import (CARD_RE, SEPARATORS_RE, card_no_valid, credential_state, extract, grace_steps, parse_token,
                      refuse, step_at)
from .sql import Prepared, till_cursor


class MemberView(NamedTuple):
    """The member fields a till needs, read with the credential in one query."""

    id: int
    name: str
    category: str
    expires_on: date
    purged_at: datetime | None


class CredentialView(NamedTuple):
    """A credential as resolved from a scanned code: a snapshot, not a tracked ORM object (a named tuple:
    immutable, and built on every scan at a fraction of a frozen dataclass's cost)."""

    id: int
    member_id: int
    public_id: str
    card_no: str
    serial: int
    status: str
    member: MemberView


def _credential_query(column):
    return (select(Credential.id, Credential.member_id, Credential.public_id, Credential.card_no,
                   Credential.serial, Credential.status, Member.name, Member.category, Member.expires_on,
                   Member.purged_at)
            .join(Member, Member.id == Credential.member_id).where(column == bindparam("value")))


# Prepared once: the hot path of every scan only binds a value.
_BY_CARD_NO = Prepared(_credential_query(Credential.card_no))
_BY_PUBLIC_ID = Prepared(_credential_query(Credential.public_id))


def _credential_where(query, value):
    row = till_cursor().first(query, value=value)
    if row is None:
        return None
    return CredentialView(row.id, row.member_id, row.public_id, row.card_no, row.serial, row.status,
                          MemberView(row.member_id, row.name, row.category, row.expires_on, row.purged_at))


def resolve_code(code, now):
    """The active, unexpired credential (a CredentialView, member included) a scanned or typed code stands for.

    Raises DomainError("credential_invalid", ..., 409, reason=...) with one of REASONS.
    """
    if not isinstance(code, str) or len(code) > 500:
        raise refuse("invalid")
    text = extract(code)
    digits = SEPARATORS_RE.sub("", text)
    if CARD_RE.match(digits):
        if not card_no_valid(digits):
            raise refuse("invalid")
        credential = _credential_where(_BY_CARD_NO, digits)
        step = None
    else:
        kind, public_id, serial, step = parse_token(text)
        credential = _credential_where(_BY_PUBLIC_ID, public_id)
        if credential is not None and (credential.serial & 0xFFFF) != serial:
            raise refuse("invalid")
    if credential is None:
        raise refuse("unknown")
    reason = credential_state(credential, now)
    if reason:
        raise refuse(reason)
    if step is not None:
        current = step_at(now)
        if step > current + 1:  # only our own clock could have signed it: it is not a code we issued
            raise refuse("invalid")
        if current - step > grace_steps():
            raise refuse("stale")
    return credential
