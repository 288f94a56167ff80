"""Card-number lookup: the part of credential resolution that needs no signed tokens.

Stands in for verification.tokens (which also checks signed phone and card tokens) on branches
where that module is not present. See verification/codes.py.
"""
import re

from flask_babel import gettext as _
from sqlalchemy import select

from baiye.clock import local_date
from baiye.errors import DomainError
from baiye.extensions import db

from .models import Credential

CARD_RE = re.compile(r"^\d{12}$")  # twelve digits, the last a Luhn check digit (as verification.tokens issues)


def luhn_digit(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        n = int(char) * (2 if index % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


def refusal(reason):
    return DomainError("credential_invalid", _("优待证无效。"), 409, reason=reason)


def _candidate(code):
    text = (code or "").strip()
    if "/v/" in text:
        text = text.split("/v/", 1)[1].split("?", 1)[0].split("#", 1)[0].strip("/")
    return re.sub(r"[\s\-]", "", text)


def resolve_code(code, now):
    """The active, unexpired credential a card number names; DomainError(reason=...) otherwise."""
    if not isinstance(code, str) or len(code) > 500:
        raise refusal("invalid")
    card_no = _candidate(code)
    if not CARD_RE.match(card_no) or luhn_digit(card_no[:-1]) != card_no[-1]:
        raise refusal("invalid")
    credential = db.session.scalar(select(Credential).where(Credential.card_no == card_no))
    if credential is None:
        raise refusal("unknown")
    if credential.status == "revoked":
        raise refusal("revoked")
    if credential.status != "active" or credential.member.expires_on < local_date(now):
        raise refusal("expired")
    return credential


def mask_name(name):
    """张小明 -> 张*明, 张三 -> 张*, 欧阳小明 -> 欧**明."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name + "*" if name else "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def card_last4(card_no):
    return (card_no or "")[-4:]
