"""Tokens, card numbers, ID numbers and masking, tested as functions."""
from datetime import timedelta

import pytest

from baiye.clock import utcnow
from baiye.errors import DomainError
from baiye.extensions import db
from verification import tokens
from verification.members.services import revoke_credential
from verification.till.credentials import resolve_code

from ..factories import id_number_for


@pytest.fixture(autouse=True)
def request_ctx(app):
    """Messages are translated for a request's locale, as in the app."""
    with app.test_request_context():
        yield


def reason_of(code, now=None):
    with pytest.raises(DomainError) as caught:
        resolve_code(code, now or utcnow())
    assert caught.value.code == "credential_invalid" and caught.value.status == 409
    return caught.value.extra["reason"]


def test_card_url_resolves_to_the_credential(make):
    credential = make.credential()
    url = tokens.code_url(tokens.card_token(credential))
    assert url.startswith("https://yj.example.cn/v/")
    assert len(url) < 80  # a small QR
    assert resolve_code(url, utcnow()).id == credential.id
    assert resolve_code(tokens.card_token(credential), utcnow()).id == credential.id
    other_origin = "http://127.0.0.1:5000/v/" + tokens.card_token(credential)
    assert resolve_code(other_origin, utcnow()).member.name == "张三明"


def test_token_carries_no_personal_data(make):
    credential = make.credential(name="李四光")
    token = tokens.card_token(credential)
    member = credential.member
    for secret in (member.name, member.phone, member.id_last4, credential.card_no):
        assert secret not in token
    raw = tokens._unb64(token.split(".", 1)[1])
    assert member.name.encode() not in raw and credential.card_no.encode() not in raw


def test_card_number_typed_with_spaces_and_dashes(make):
    credential = make.credential()
    number = credential.card_no
    assert tokens.card_no_valid(number) and len(number) == 12
    typed = f" {number[:4]}-{number[4:8]} {number[8:]} "
    assert resolve_code(typed, utcnow()).id == credential.id


def test_card_number_typo_is_invalid_and_unknown_number_is_unknown(make):
    credential = make.credential()
    number = credential.card_no
    typo = number[:5] + str((int(number[5]) + 1) % 10) + number[6:]
    assert reason_of(typo) == "invalid"
    body = "12345678901"
    candidate = body + tokens.luhn_digit(body)
    assert candidate != number
    assert reason_of(candidate) == "unknown"


def test_revoked_credential_is_refused_as_revoked(make):
    credential = make.credential()
    token = tokens.card_token(credential)
    revoke_credential(credential, None, "lost card")
    assert reason_of(token) == "revoked"
    assert reason_of(credential.card_no) == "revoked"


def test_expired_member_is_refused_as_expired(make):
    credential = make.credential()
    token = tokens.card_token(credential)
    later = utcnow() + timedelta(days=400)
    assert reason_of(token, later) == "expired"
    assert resolve_code(token, utcnow()).id == credential.id


def test_phone_code_window(app, make):
    credential = make.credential()
    step = app.config["PHONE_CODE_STEP_SECONDS"]
    grace = app.config["PHONE_CODE_GRACE_STEPS"]
    issued = tokens.step_start(tokens.step_at(utcnow()))  # the start of a step
    token = tokens.phone_token(credential, issued)
    assert resolve_code(token, issued).id == credential.id
    last_ok = issued + timedelta(seconds=step * (grace + 1) - 1)
    assert resolve_code(token, last_ok).id == credential.id
    refresh_at, expires_at = tokens.phone_code_times(issued)
    assert refresh_at == issued + timedelta(seconds=step)
    assert expires_at == last_ok + timedelta(seconds=1)
    assert reason_of(token, expires_at) == "stale"
    # the phone code and the card code differ, and the phone code changes with the step
    assert token != tokens.card_token(credential)
    assert tokens.phone_token(credential, refresh_at) != token


def test_phone_code_from_the_future_is_invalid(make):
    credential = make.credential()
    now = utcnow()
    token = tokens.phone_token(credential, now + timedelta(hours=1))
    assert reason_of(token, now) == "invalid"


def test_tampered_token_is_invalid(make):
    credential = make.credential()
    token = tokens.card_token(credential)
    kid, body = token.split(".")
    for i in (0, len(body) // 2, len(body) - 1):
        flipped = body[:i] + ("A" if body[i] != "A" else "B") + body[i + 1:]
        assert reason_of(f"{kid}.{flipped}") == "invalid"
    assert reason_of(token[:-3]) == "invalid"
    assert reason_of(token + "AAAA") == "invalid"
    for junk in ("", "hello", "https://yj.example.cn/v/", "https://evil.example/v/x.y", "💥" * 10, "a" * 600, "1234"):
        assert reason_of(junk) == "invalid"


def test_forged_token_for_unknown_credential_is_unknown(make):
    credential = make.credential()
    real = tokens.card_token(credential)
    credential.public_id = tokens.new_public_id()  # the token now points at no credential
    db.session.commit()
    assert reason_of(real) == "unknown"


def test_key_rotation(app, make):
    app.config["TOKEN_KEYS"] = {"k1": "first-secret"}
    app.config["TOKEN_SIGNING_KID"] = "k1"
    credential = make.credential()
    old = tokens.card_token(credential)
    old_phone = tokens.phone_token(credential, utcnow())
    assert old.startswith("k1.")
    app.config["TOKEN_KEYS"] = {"k1": "first-secret", "k2": "second-secret"}
    app.config["TOKEN_SIGNING_KID"] = "k2"
    new = tokens.card_token(credential)
    assert new.startswith("k2.") and new != old
    assert resolve_code(old, utcnow()).id == credential.id
    assert resolve_code(old_phone, utcnow()).id == credential.id
    assert resolve_code(new, utcnow()).id == credential.id
    # a token claiming k1 but signed with k2's key is refused
    assert reason_of("k1." + new.split(".", 1)[1]) == "invalid"
    # once k1 is retired its tokens no longer verify; an unknown kid is invalid
    app.config["TOKEN_KEYS"] = {"k2": "second-secret"}
    assert reason_of(old) == "invalid"
    assert reason_of("zz." + new.split(".", 1)[1]) == "invalid"
    # the same kid with a different secret (a wrong key) is invalid too
    app.config["TOKEN_KEYS"] = {"k2": "not-the-secret"}
    assert reason_of(new) == "invalid"


def test_default_key_derives_from_secret_key(app, make):
    credential = make.credential()
    token = tokens.card_token(credential)
    assert token.startswith("d1.")
    app.config["SECRET_KEY"] = "another"
    assert reason_of(token) == "invalid"


def test_mask_name_and_card_last4():
    assert tokens.mask_name("张三明") == "张*明"
    assert tokens.mask_name("张三") == "张*"
    assert tokens.mask_name("张") == "张"
    assert tokens.mask_name("欧阳小明") == "欧**明"
    assert tokens.mask_name(" 李四 ") == "李*"
    assert tokens.mask_name("") == ""
    assert tokens.card_last4("123456789012") == "9012"
    assert tokens.format_card_no("123456789012") == "1234 5678 9012"


def test_id_number_check_character():
    good = id_number_for(7)
    assert tokens.id_number_valid(good)
    assert tokens.id_number_valid("11010519491231002X")
    assert not tokens.id_number_valid("110105194912310021")
    assert not tokens.id_number_valid(good[:-1])
    typo = good[:6] + str((int(good[6]) + 1) % 10) + good[7:]
    assert not tokens.id_number_valid(typo)


def test_id_hash_is_keyed(app):
    number = id_number_for(3)
    first = tokens.id_hash(number)
    assert number not in first and len(first) == 64
    assert tokens.id_hash(number.lower()) == first
    app.config["ID_HASH_KEY"] = "another-key"
    assert tokens.id_hash(number) != first
