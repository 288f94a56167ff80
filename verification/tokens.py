"""Signed QR tokens, phone digits, card numbers and ID-number checks: pure functions over config.

A token is `<kid>.<base64url(payload || signature)>` (docs/tokens.md): the key id in clear so keys can
rotate (every listed key verifies, one signs), the payload a few packed bytes with no personal data —
form (card or phone), the credential's public id and serial, the category code, the member's expiry
and, for phone codes, the time step — and an Ed25519 signature over `kid "." payload`. Anyone holding
the public keys (GET /.well-known/jwks.json) can check a code; only the server can make one.

Cards printed before Ed25519 carry HMAC-signed tokens (`<kid>.<base64url(payload || 12-byte mac)>`,
kinds in lower case). They still verify, with the HMAC key they were made with (TOKEN_KEYS, else the
key derived from SECRET_KEY), until the card is reissued; nothing is signed with HMAC any more.
"""
import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import struct
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from baiye.clock import local_date
from baiye.errors import DomainError

KIND_CARD, KIND_PHONE = b"C", b"P"  # Ed25519-signed codes
LEGACY_CARD, LEGACY_PHONE = b"c", b"p"  # HMAC-signed codes (before Ed25519): cards still in the field
PUBLIC_ID_BYTES = 12
SIGNATURE_BYTES = 64
MAC_BYTES = 12  # legacy HMAC tokens
CARD_RE = re.compile(r"^[1-9]\d{11}$")  # card numbers never start with 0 ...
PHONE_DIGITS_RE = re.compile(r"^0\d{11}$")  # ... the phone's rotating number always does
KID_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
TOKEN_RE = re.compile(r"^([A-Za-z0-9_-]{1,16})\.([A-Za-z0-9_-]{20,200})$")
SEPARATORS_RE = re.compile(r"[\s\-]")  # spaces and dashes people type inside a number
EPOCH = datetime(1970, 1, 1)
EPOCH_DAY = date(1970, 1, 1)
# The category a code was signed for, as one byte (0: another category; ask the service).
CATEGORY_CODES = {"active_duty": 1, "family": 2, "veteran": 3, "martyr_family": 4}
CATEGORY_BY_CODE = {code: key for key, code in CATEGORY_CODES.items()}
# The phone's typed number: "0", a 4-digit slot that narrows the search to a few credentials, and a
# 7-digit code of the time step (so a guess hits with probability (steps accepted) / 10**7 per try).
DIGITS_SLOTS = 10**4
DIGITS_CODE = 10**7

REASONS = ("revoked", "expired", "stale", "unknown", "invalid")
FORMS = ("phone_qr", "phone_digits", "card_qr", "card_number")
# How the member was identified, for people (the till's history, the statistics' workbook).
FORM_LABELS = {
    "phone_qr": _l("手机动态码"),
    "phone_digits": _l("手机数字（手输）"),
    "card_qr": _l("实体卡二维码"),
    "card_number": _l("卡号（手输）"),
}


# --- keys -----------------------------------------------------------------------------------

def _derived(purpose):
    """A key derived from SECRET_KEY, so the app works with no extra configuration."""
    return _derive(current_app.config["SECRET_KEY"], purpose)


@lru_cache(maxsize=16)
def _derive(secret, purpose):
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def legacy_keys():
    """{kid: HMAC key} that verify the cards printed before Ed25519: TOKEN_KEYS, else one key derived from
    SECRET_KEY (kid d1, as before). Empty when ACCEPT_LEGACY_CARDS is off."""
    if not current_app.config.get("ACCEPT_LEGACY_CARDS", True):
        return {}
    configured = current_app.config.get("TOKEN_KEYS")
    if not configured:
        return {"d1": _derived("baiye-qr-token-v1")}
    return {kid: (key.encode() if isinstance(key, str) else key) for kid, key in configured.items()}


def _legacy_mac(key, kid, payload):
    return hmac.digest(key, kid.encode() + b"." + payload, "sha256")[:MAC_BYTES]


def _b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_private_key(text):
    """An Ed25519 private key from PEM (PKCS#8) text or the base64url of its 32-byte seed."""
    if isinstance(text, Ed25519PrivateKey):
        return text
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise RuntimeError("ED25519_KEYS: not an Ed25519 private key")
        return key
    return Ed25519PrivateKey.from_private_bytes(_unb64(text))


def public_raw(key):
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(private_key):
    """A short key id: the start of the RFC 7638 thumbprint of the public key."""
    jwk = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": _b64(public_raw(private_key))},
                     separators=(",", ":"), sort_keys=True)
    return _b64(hashlib.sha256(jwk.encode()).digest())[:6]


def derived_signing_keys(secret_key):
    """{kid: seed}: with no ED25519_KEYS configured, one key derived from SECRET_KEY (as the HMAC key of the
    cards printed before Ed25519 was), so every app server that shares the secret key signs with the same key
    and nothing is kept on one node's disk."""
    seed = hmac.new(secret_key.encode(), b"baiye-ed25519-signing-key-v1", hashlib.sha256).digest()
    return {key_id(Ed25519PrivateKey.from_private_bytes(seed)): _b64(seed)}


class Keys:
    """The signing keys of one configuration: private keys by kid, their public-key objects (built once:
    verifying a scan reuses them) and the kid that signs.

    A printed card's code is the same at every scan, and checking its signature costs about 110 µs here, a
    third of a whole scan; so the card codes whose signature checked are remembered (`card_verified`, up to
    CARD_CODES_KEPT per worker, the least recently scanned forgotten first). Only genuine signatures are kept:
    a forged code is checked, and refused, every time. Phone codes change every step and are always checked.
    A new key configuration is a new Keys, with nothing remembered."""

    CARD_CODES_KEPT = 20_000

    def __init__(self, configured, signing_kid):
        self.private = {kid: load_private_key(text) for kid, text in configured}
        for kid in self.private:
            if not KID_RE.match(kid):
                raise RuntimeError("ED25519_KEYS: a kid is letters, digits, _ or -, at most 16")
        self.public = {kid: key.public_key() for kid, key in self.private.items()}
        if signing_kid is None and len(self.private) == 1:
            signing_kid = next(iter(self.private))
        if signing_kid not in self.private:
            raise RuntimeError("ED25519_SIGNING_KID must name one of ED25519_KEYS")
        self.signing_kid = signing_kid
        self.card_verified = lru_cache(maxsize=self.CARD_CODES_KEPT)(self.verify)

    def verify(self, kid, signature, message):
        """Check a signature by the key `kid` (which must be listed); InvalidSignature when it is not genuine."""
        self.public[kid].verify(signature, message)
        return True


@lru_cache(maxsize=8)
def _keys(configured, signing_kid):
    return Keys(configured, signing_kid)


def signing_keys():
    """The Keys of the current app: ED25519_KEYS ({kid: PEM or base64url seed}; create_app generates one
    into instance/ when none is configured) and ED25519_SIGNING_KID."""
    config = current_app.config
    return _keys(tuple(sorted(config["ED25519_KEYS"].items())), config.get("ED25519_SIGNING_KID"))


def jwks():
    """The public keys as a JWK set (RFC 8037): every listed key, so codes signed by a retired one still check."""
    keys = signing_keys()
    return {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": kid, "use": "sig", "alg": "EdDSA",
                      "x": _b64(public_raw(private))} for kid, private in sorted(keys.private.items())]}


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


class Code(NamedTuple):
    """What a genuine token says."""

    kind: bytes  # KIND_CARD or KIND_PHONE (a legacy card reads as KIND_CARD)
    public_id: str
    serial: int
    step: int | None  # phone codes: the time step it was made for
    category: str | None  # the member's category when signed (None: legacy, or a category without a code)
    expires_on: date | None  # the member's expiry when signed (None: legacy)
    legacy: bool = False

    @property
    def form(self):
        return "phone_qr" if self.kind == KIND_PHONE else "card_qr"


def _pack(kind, credential, step=None):
    """kind (1) | public id (12) | serial (2) | category code (1) | expiry, days since 1970-01-01 (2) | [step (4)]."""
    member = credential.member
    payload = (kind + _unb64(credential.public_id) + struct.pack(">H", credential.serial & 0xFFFF)
               + struct.pack(">BH", CATEGORY_CODES.get(member.category, 0),
                             max(0, min(0xFFFF, (member.expires_on - EPOCH_DAY).days))))
    if kind == KIND_PHONE:
        payload += struct.pack(">I", step)
    return payload


def sign(payload):
    keys = signing_keys()
    kid = keys.signing_kid
    return f"{kid}.{_b64(payload + keys.private[kid].sign(kid.encode() + b'.' + payload))}"


def card_token(credential):
    """The fixed code printed on the card (changes only with a new credential, a new key or the member's
    category or expiry)."""
    return sign(_pack(KIND_CARD, credential))


def phone_token(credential, now):
    """The phone code for the time step `now` falls in."""
    return sign(_pack(KIND_PHONE, credential, step_at(now)))


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


def refuse(reason, detail=None):
    """The refusal of a code: DomainError credential_invalid with its reason (REASONS) and, where plain words
    need more than the reason, a `detail`: check_digit (a typed number with a wrong check digit), digits (a
    typed phone number that matches nothing now), card_not_live / phone_not_live (the credential is carried
    in the other form), not_a_code (text not shaped like any code of ours: a typo, another system's code)."""
    messages = {
        "revoked": _("该优待证已作废。"),
        "expired": _("该优待证已过有效期。"),
        "stale": _("该动态码已过期，请让对方刷新手机上的优待码后重新出示。"),
        "unknown": _("查无此优待证，请核对卡号。"),
        "invalid": _("无法识别的优待码：可能被篡改、伪造或不是本系统的码。"),
    }
    message = detail_text(detail) or messages[reason]
    if detail:
        return DomainError("credential_invalid", message, 409, reason=reason, detail=detail)
    return DomainError("credential_invalid", message, 409, reason=reason)


def detail_text(detail):
    """Plain words for a refusal's detail (None when it has none)."""
    if detail is None:
        return None
    return {
        "check_digit": _("卡号有误，请核对后重输。卡号和手机上的数字码都是12位。"),
        "not_a_code": _("这不是优待码：请重新扫码，或输入卡号、手机上的12位数字码。"),
        "digits": _("手机数字码不对或已过时：请让对方刷新手机上的优待码，再读一遍新的数字（或扫码）。"),
        "card_not_live": _("这张卡已停用：持证人现在用手机出示优待码，请让对方出示手机上的动态码。"),
        "phone_not_live": _("手机优待码已停用：持证人现在使用服务站打印的实体卡，请出示实体卡。"),
    }.get(detail)


_CARD_PAYLOAD = 1 + PUBLIC_ID_BYTES + 2 + 3
_PHONE_PAYLOAD = _CARD_PAYLOAD + 4


def parse_token(token):
    """The Code of a genuine token; raises `invalid` for anything else (one signature check)."""
    match = TOKEN_RE.match(token)
    if not match:
        raise refuse("invalid", "not_a_code")  # not shaped like any code of ours: no accusation of forgery
    kid, body = match.groups()
    try:
        raw = _unb64(body)
    except (binascii.Error, ValueError):
        raise refuse("invalid") from None
    if _b64(raw) != body:  # one spelling per token: bits past the last byte must be zero
        raise refuse("invalid")
    keys = signing_keys()
    if kid not in keys.public:
        return _parse_legacy(kid, raw)
    payload, signature = raw[:-SIGNATURE_BYTES], raw[-SIGNATURE_BYTES:]
    kind = payload[:1]
    if len(payload) != {KIND_CARD: _CARD_PAYLOAD, KIND_PHONE: _PHONE_PAYLOAD}.get(kind):
        raise refuse("invalid")
    check = keys.card_verified if kind == KIND_CARD else keys.verify
    try:
        check(kid, signature, kid.encode() + b"." + payload)
    except InvalidSignature:
        raise refuse("invalid") from None
    serial, category, days = struct.unpack(">HBH", payload[1 + PUBLIC_ID_BYTES:_CARD_PAYLOAD])
    step = struct.unpack(">I", payload[_CARD_PAYLOAD:])[0] if kind == KIND_PHONE else None
    return Code(kind, _b64(payload[1:1 + PUBLIC_ID_BYTES]), serial, step, CATEGORY_BY_CODE.get(category),
                EPOCH_DAY + timedelta(days=days))


def _parse_legacy(kid, raw):
    """A card printed before Ed25519 (HMAC-signed): accepted while its key is listed. Legacy phone codes
    are refused: every phone has fetched an Ed25519 code within one step of the upgrade."""
    key = legacy_keys().get(kid)
    if key is None or len(raw) != 1 + PUBLIC_ID_BYTES + 2 + MAC_BYTES:
        raise refuse("invalid")
    payload, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
    if payload[:1] != LEGACY_CARD or not hmac.compare_digest(mac, _legacy_mac(key, kid, payload)):
        raise refuse("invalid")
    serial = struct.unpack(">H", payload[1 + PUBLIC_ID_BYTES:])[0]
    return Code(KIND_CARD, _b64(payload[1:1 + PUBLIC_ID_BYTES]), serial, None, None, None, legacy=True)


def legacy_card_token(credential, kid="d1"):
    """The HMAC-signed card code printed before Ed25519 (to test that such cards still verify)."""
    payload = LEGACY_CARD + _unb64(credential.public_id) + struct.pack(">H", credential.serial & 0xFFFF)
    return f"{kid}.{_b64(payload + _legacy_mac(legacy_keys()[kid], kid, payload))}"


# --- the phone's typed number ------------------------------------------------------------------------

def new_digits_slot():
    return secrets.randbelow(DIGITS_SLOTS)


def digits_key():
    key = current_app.config.get("PHONE_DIGITS_KEY")
    return key.encode() if isinstance(key, str) else (key or _derived("baiye-phone-digits-v1"))


def digits_code(key, public_id, serial, step):
    """The 7-digit code of a credential for one time step (HMAC-SHA256, as HOTP truncates it)."""
    mac = hmac.digest(key, _unb64(public_id) + struct.pack(">HI", serial & 0xFFFF, step), "sha256")
    return int.from_bytes(mac[:8], "big") % DIGITS_CODE


def phone_digits(credential, now):
    """The 12-digit number the phone shows under its QR for the step `now` falls in: 0, slot, code."""
    code = digits_code(digits_key(), credential.public_id, credential.serial, step_at(now))
    return f"0{credential.digits_slot:04d}{code:07d}"


def format_digits(digits):
    """'012345678901' -> '0123 4567 8901', to read aloud."""
    return format_card_no(digits)


def split_digits(digits):
    """(slot, code) of a typed phone number (PHONE_DIGITS_RE)."""
    return int(digits[1:5]), int(digits[5:])


def extract(code):
    """The token or card number inside whatever was scanned or typed."""
    text = (code or "").strip()
    marker = text.rfind("/v/")
    if marker != -1:
        text = text[marker + 3:].split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return text


def typed_digits(text):
    """`text` without the spaces and dashes people type inside a number, its digits in ASCII (a Chinese keyboard's
    full-width ones, or another script's, read as the digits they are)."""
    digits = SEPARATORS_RE.sub("", text)
    if not digits.isascii() and digits.isdecimal():
        digits = "".join(str(int(char)) for char in digits)
    return digits


def claimed_form(code):
    """The form a code appears to be in (for the log of refused scans), without checking it; None if none."""
    text = extract(code) if isinstance(code, str) else ""
    digits = typed_digits(text)
    if PHONE_DIGITS_RE.match(digits):
        return "phone_digits"
    if digits.isdigit():
        return "card_number" if len(digits) <= 16 else None
    match = TOKEN_RE.match(text)
    if not match:
        return None
    try:
        kind = _unb64(match.group(2))[:1]
    except (binascii.Error, ValueError):
        return None
    return {KIND_PHONE: "phone_qr", LEGACY_PHONE: "phone_qr", KIND_CARD: "card_qr", LEGACY_CARD: "card_qr"}.get(kind)


def credential_state(credential, now):
    """None when the credential may be used now, else the refusal reason."""
    member = credential.member
    if credential.status == "revoked" or member.purged_at is not None:
        return "revoked"
    if credential.status == "expired" or member.expires_on < local_date(now):
        return "expired"
    return None
