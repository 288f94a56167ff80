"""The credential a scanned or typed code stands for, read on every scan through the till's SQL.

Four forms reach a till (tokens.FORMS): a phone's QR and a card's QR (Ed25519-signed tokens: one signature
check), a card number typed (12 digits with a Luhn check digit, never starting with 0) and the phone's
rotating number typed (12 digits starting with 0: a slot and a code of the time step). A credential has one
live form at a time (Credential.live_form): the phone or the printed card; the other form's codes are refused.
"""
import time
from datetime import date, datetime
from typing import NamedTuple

from flask import current_app
from flask_babel import ngettext
from limits import RateLimitItemPerSecond, parse_many
from sqlalchemy import bindparam, select

from baiye.errors import DomainError
from baiye.extensions import limiter

from ..members.models import Credential, Member
from ..tokens import (CARD_RE, KIND_PHONE, PHONE_DIGITS_RE, card_no_valid, credential_state, digits_code, digits_key,
                      extract, grace_steps, parse_token, refuse, split_digits, step_at, step_seconds, typed_digits)
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
    immutable, and built on every scan at a fraction of a frozen dataclass's cost). `credential_form` is how
    this scan identified it (tokens.FORMS)."""

    id: int
    member_id: int
    public_id: str
    card_no: str
    serial: int
    status: str
    live_form: str
    member: MemberView
    credential_form: str | None = None


def _credential_query(*conditions):
    return (select(Credential.id, Credential.member_id, Credential.public_id, Credential.card_no,
                   Credential.serial, Credential.status, Credential.live_form, Member.name, Member.category,
                   Member.expires_on, Member.purged_at)
            .join(Member, Member.id == Credential.member_id).where(*conditions))


# Prepared once: the hot path of every scan only binds a value.
_BY_CARD_NO = Prepared(_credential_query(Credential.card_no == bindparam("value")))
_BY_PUBLIC_ID = Prepared(_credential_query(Credential.public_id == bindparam("value")))
_BY_SLOT = Prepared(_credential_query(Credential.digits_slot == bindparam("value"), Credential.status == "active")
                    .order_by(Credential.id))


def _view(row, form):
    return CredentialView(row.id, row.member_id, row.public_id, row.card_no, row.serial, row.status, row.live_form,
                          MemberView(row.member_id, row.name, row.category, row.expires_on, row.purged_at), form)


def _credential_where(query, value, form):
    row = till_cursor().first(query, value=value)
    return None if row is None else _view(row, form)


def resolve_code(code, now, before_typed=None):
    """The active, unexpired credential (a CredentialView, member and credential_form included) a scanned or
    typed code stands for.

    Raises DomainError("credential_invalid", ..., 409, reason=..., detail=...) with one of REASONS, or
    DomainError("rate_limited", ..., 429) while a credential's typed number is slowed down after misses.
    `before_typed()` is called before a typed phone number is checked (and a miss counted): it raises to refuse
    the caller that may not use the credential's tries up.
    """
    if not isinstance(code, str) or len(code) > 500:
        raise refuse("invalid")
    text = extract(code)
    digits = typed_digits(text)
    step = None
    if PHONE_DIGITS_RE.match(digits):
        if before_typed is not None:
            before_typed()
        return _resolve_digits(digits, now)
    if CARD_RE.match(digits):
        if not card_no_valid(digits):
            raise refuse("invalid", "check_digit")
        credential = _credential_where(_BY_CARD_NO, digits, "card_number")
    elif digits.isdigit() and len(digits) <= 16:
        # A number of the wrong length (the last four from a member's page, a digit left out): a typo, not a
        # forgery. Longer runs of digits are left to `invalid`: they are another system's code (a payment code).
        raise refuse("invalid", "check_digit")
    else:
        parsed = parse_token(text)
        credential = _credential_where(_BY_PUBLIC_ID, parsed.public_id, parsed.form)
        if credential is not None and (credential.serial & 0xFFFF) != parsed.serial:
            raise refuse("invalid")
        step = parsed.step if parsed.kind == KIND_PHONE else None
    if credential is None:
        raise refuse("unknown")
    _check_state(credential, now)
    if step is not None:
        current = step_at(now)
        if step > current + 1:  # only our own clock could have signed it: it is not a code we issued
            raise refuse("invalid")
        if current - step > grace_steps():
            raise refuse("stale")
    return credential


def _check_state(credential, now):
    reason = credential_state(credential, now)
    if reason:
        raise refuse(reason)
    on_phone = credential.credential_form in ("phone_qr", "phone_digits")
    if on_phone and credential.live_form != "phone":
        raise refuse("revoked", "phone_not_live")
    if not on_phone and credential.live_form != "card":
        raise refuse("revoked", "card_not_live")


# --- the phone's typed number ----------------------------------------------------------------------------

def _typed_limit():
    return parse_many(current_app.config["TYPED_DIGITS_MISSES"])[0]


def _slowed(slot):
    """Whether misses against this slot's credentials have used up TYPED_DIGITS_MISSES; (limit, stats) if so."""
    if not limiter.enabled:
        return None
    limit = _typed_limit()
    if limiter.limiter.test(limit, "typed-digits", str(slot)):
        return None
    return limit, limiter.limiter.get_window_stats(limit, "typed-digits", str(slot))


def _count_miss(slot, code, step):
    """Count a miss against the slot, once per number and time step: the same wrong number again within the step
    (the till's result page checking what its scan page just checked, a reload, a retyped typo) tells a guesser
    nothing new, so a cashier's one attempt is one miss. A guess is a number not yet tried in the step."""
    if not limiter.enabled:
        return
    first_try = RateLimitItemPerSecond(1, step_seconds())
    if limiter.limiter.hit(first_try, "typed-digits-tried", str(slot), str(code), str(step)):
        limiter.limiter.hit(_typed_limit(), "typed-digits", str(slot))


def slowed_error(stats, now_ts):
    minutes = max(1, int(stats.reset_time - now_ts + 59) // 60)
    return DomainError("rate_limited", ngettext(
        "这位优待对象的手机数字码已连续输错多次，为防止有人猜码，手输已暂停约 %(num)d 分钟。请改用扫码，或稍后再输。",
        "这位优待对象的手机数字码已连续输错多次，为防止有人猜码，手输已暂停约 %(num)d 分钟。请改用扫码，或稍后再输。",
        minutes), 429, retry_after=minutes * 60, detail="slowed")


def _resolve_digits(digits, now):
    """The credential whose phone shows `digits` now (or within the grace steps); misses against a slot are
    counted, and past TYPED_DIGITS_MISSES its typed path is refused until the window frees."""
    slot, code = split_digits(digits)
    slowed = _slowed(slot)
    if slowed is not None:
        raise slowed_error(slowed[1], time.time())
    current = step_at(now)
    key = digits_key()
    steps = range(current, current - grace_steps() - 1, -1)
    for row in till_cursor().all(_BY_SLOT, value=slot):
        if any(digits_code(key, row.public_id, row.serial, step) == code for step in steps):
            credential = _view(row, "phone_digits")
            _check_state(credential, now)
            return credential
    _count_miss(slot, code, current)
    raise refuse("unknown", "digits")
