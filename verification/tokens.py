"""Signed QR tokens, card numbers and ID-number checks: pure functions over config and the database.

A token is `<kid>.<base64url(payload + mac)>`: the key id in clear so keys can rotate (old keys
still verify, the configured one signs), the payload a few packed bytes with no personal data —
kind (card or phone), the credential's public id, its serial and, for phone codes, the time step —
and a truncated HMAC-SHA256 over kid and payload. A card token is about 40 characters, so the
whole URL fits a small QR that an old phone camera still reads.
"""
import base64
import binascii
import hashlib
import hmac
import re
import secrets
import struct
from functools import lru_cache
from datetime import datetime, timedelta

from flask import current_app, has_request_context, request
from flask_babel import gettext as _

from baiye.clock import local_date
from baiye.errors import DomainError

KIND_CARD, KIND_PHONE = b"c", b"p"
PUBLIC_ID_BYTES = 12
MAC_BYTES = 12  # 96 bits: forging one by trial is hopeless behind a rate-limited verify
CARD_RE = re.compile(r"^\d{12}$")
KID_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
TOKEN_RE = re.compile(r"^([A-Za-z0-9_-]{1,16})\.([A-Za-z0-9_-]{20,80})$")
SEPARATORS_RE = re.compile(r"[\s\-]")  # spaces and dashes people type inside a card number
EPOCH = datetime(1970, 1, 1)

REASONS = ("revoked", "expired", "stale", "unknown", "invalid")


# --- keys -----------------------------------------------------------------------------------

def _derived(purpose):
    """A key derived from SECRET_KEY, so the app works with no extra configuration."""
    return _derive(current_app.config["SECRET_KEY"], purpose)


@lru_cache(maxsize=16)
def _derive(secret, purpose):
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def token_keys():
    """{kid: key bytes}: TOKEN_KEYS from config, else one key derived from SECRET_KEY."""
    configured = current_app.config.get("TOKEN_KEYS")
    if not configured:
        return {"d1": _derived("baiye-qr-token-v1")}
    return {kid: (key.encode() if isinstance(key, str) else key) for kid, key in configured.items()}


def signing_kid():
    keys = token_keys()
    kid = current_app.config.get("TOKEN_SIGNING_KID")
    if kid is None and len(keys) == 1:
        kid = next(iter(keys))
    if kid not in keys or not KID_RE.match(kid):
        raise RuntimeError("TOKEN_SIGNING_KID must name one of TOKEN_KEYS (letters, digits, _ or -, at most 16)")
    return kid


def _mac(key, kid, payload):
    return hmac.digest(key, kid.encode() + b"." + payload, "sha256")[:MAC_BYTES]


def _b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- public ids and card numbers -------------------------------------------------------------

def new_public_id():
    """An unguessable credential id (96 random bits), 16 URL-safe characters."""
    return _b64(secrets.token_bytes(PUBLIC_ID_BYTES))


def luhn_digit(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        n = int(char)
        if index % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)


def new_card_no():
    """Twelve digits, the last a Luhn check digit: easy to read out, and a typo is caught."""
    body = str(secrets.randbelow(9 * 10**10) + 10**10)
    return body + luhn_digit(body)


def card_no_valid(card_no):
    return bool(CARD_RE.match(card_no)) and luhn_digit(card_no[:-1]) == card_no[-1]


def format_card_no(card_no):
    """'123456789012' -> '1234 5678 9012', the way it is printed and read out."""
    return " ".join(card_no[i:i + 4] for i in range(0, len(card_no), 4)) if card_no else ""


def card_last4(card_no):
    return (card_no or "")[-4:]


def mask_name(name):
    """张三明 -> 张*明; 张三 -> 张*; 欧阳小明 -> 欧**明; a single character as is."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# --- ID numbers --------------------------------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_RE = re.compile(r"[0-9]{17}[0-9X]")  # ASCII digits: \d takes other scripts' too


def normalise_id_number(text):
    return (text or "").strip().replace(" ", "").upper()


def id_check_char(first17):
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def id_number_valid(id_number):
    """An 18-character resident ID whose GB 11643 check character matches."""
    return bool(ID_RE.fullmatch(id_number)) and id_check_char(id_number[:17]) == id_number[17]


def id_hash_key():
    key = current_app.config.get("ID_HASH_KEY")
    return key.encode() if isinstance(key, str) else (key or _derived("baiye-id-hash-v1"))


def id_hash(id_number, key=None):
    """Keyed hash of the whole ID number, to find duplicates without keeping the number."""
    return hmac.new(key or id_hash_key(), normalise_id_number(id_number).encode(), hashlib.sha256).hexdigest()


# --- tokens --------------------------------------------------------------------------------------

def step_seconds():
    return int(current_app.config["PHONE_CODE_STEP_SECONDS"])


def grace_steps():
    return int(current_app.config["PHONE_CODE_GRACE_STEPS"])


def step_at(now):
    return int((now - EPOCH).total_seconds()) // step_seconds()


def step_start(step):
    return EPOCH + timedelta(seconds=step * step_seconds())


def _pack(kind, credential, step=None):
    payload = kind + _unb64(credential.public_id) + struct.pack(">H", credential.serial & 0xFFFF)
    if kind == KIND_PHONE:
        payload += struct.pack(">I", step)
    return payload


def sign(payload, kid=None):
    kid = kid or signing_kid()
    return f"{kid}.{_b64(payload + _mac(token_keys()[kid], kid, payload))}"


def card_token(credential, kid=None):
    """The fixed code printed on the card (changes only with a new credential or a new key)."""
    return sign(_pack(KIND_CARD, credential), kid)


def phone_token(credential, now, kid=None):
    """The phone code for the time step `now` falls in."""
    return sign(_pack(KIND_PHONE, credential, step_at(now)), kid)


def phone_code_times(now):
    """(refresh_at, expires_at): when the page should fetch a new code; when this one stops verifying."""
    step = step_at(now)
    return step_start(step + 1), step_start(step + grace_steps() + 1)


def public_origin():
    """BASE_URL, else the origin of the request being served (API.md)."""
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://127.0.0.1:8000"


def code_url(token):
    return f"{public_origin()}/v/{token}"


def refuse(reason):
    messages = {
        "revoked": _("该优待证已作废。"),
        "expired": _("该优待证已过有效期。"),
        "stale": _("该动态码已过期，请让对方刷新手机上的优待码后重新出示。"),
        "unknown": _("查无此优待证，请核对卡号。"),
        "invalid": _("无法识别的优待码：可能被篡改、伪造或不是本系统的码。"),
    }
    return DomainError("credential_invalid", messages[reason], 409, reason=reason)


def parse_token(token):
    """(kind, public_id, serial, step) of a genuine token; raises `invalid` for anything else."""
    match = TOKEN_RE.match(token)
    if not match:
        raise refuse("invalid")
    kid, body = match.groups()
    key = token_keys().get(kid)
    try:
        raw = _unb64(body)
    except (binascii.Error, ValueError):
        raise refuse("invalid") from None
    if key is None or len(raw) < 1 + PUBLIC_ID_BYTES + 2 + MAC_BYTES:
        raise refuse("invalid")
    payload, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(key, kid, payload)):
        raise refuse("invalid")
    kind, rest = payload[:1], payload[1:]
    expected = PUBLIC_ID_BYTES + 2 + (4 if kind == KIND_PHONE else 0)
    if kind not in (KIND_CARD, KIND_PHONE) or len(rest) != expected:
        raise refuse("invalid")
    public_id = _b64(rest[:PUBLIC_ID_BYTES])
    serial = struct.unpack(">H", rest[PUBLIC_ID_BYTES:PUBLIC_ID_BYTES + 2])[0]
    step = struct.unpack(">I", rest[-4:])[0] if kind == KIND_PHONE else None
    return kind, public_id, serial, step


def extract(code):
    """The token or card number inside whatever was scanned or typed."""
    text = (code or "").strip()
    marker = text.rfind("/v/")
    if marker != -1:
        text = text[marker + 3:].split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return text


def credential_state(credential, now):
    """None when the credential may be used now, else the refusal reason."""
    member = credential.member
    if credential.status == "revoked" or member.purged_at is not None:
        return "revoked"
    if credential.status == "expired" or member.expires_on < local_date(now):
        return "expired"
    return None
