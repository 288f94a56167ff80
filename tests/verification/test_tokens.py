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
    assert len(url) < 150  # a small QR (version 7-8 at ECC M: test_qr_version_and_error_correction)
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
    with pytest.raises(DomainError) as caught:
        resolve_code(typo, utcnow())
    assert caught.value.extra["detail"] == "check_digit" and "卡号有误，请核对后重输" in caught.value.message
    assert "伪造" not in caught.value.message
    assert reason_of(number[:-1]) == "invalid"  # a digit left out: a typo too
    for short in (number[:-1], number[-4:], "1"):  # the last four, as a member's page shows them: a typo as well
        with pytest.raises(DomainError) as caught:
            resolve_code(short, utcnow())
        assert caught.value.extra == {"reason": "invalid", "detail": "check_digit"}, short
        assert "卡号有误" in caught.value.message and "伪造" not in caught.value.message
        assert tokens.claimed_form(short) == "card_number"
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


def on_phone(credential):
    credential.live_form = "phone"
    db.session.commit()
    return credential


def test_phone_code_window(app, make):
    credential = on_phone(make.credential())
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
    credential = on_phone(make.credential())
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


def seed(n):
    return tokens._b64(bytes([n]) * 32)


def test_key_rotation(app, make):
    app.config["ED25519_KEYS"] = {"k1": seed(1)}
    app.config["ED25519_SIGNING_KID"] = None
    credential = make.credential()
    old = tokens.card_token(credential)
    old_phone = tokens.phone_token(credential, utcnow())
    assert old.startswith("k1.")
    app.config["ED25519_KEYS"] = {"k1": seed(1), "k2": seed(2)}
    app.config["ED25519_SIGNING_KID"] = "k2"
    new = tokens.card_token(credential)
    assert new.startswith("k2.") and new != old
    assert resolve_code(old, utcnow()).id == credential.id
    assert resolve_code(new, utcnow()).id == credential.id
    credential.live_form = "phone"
    db.session.commit()
    assert resolve_code(old_phone, utcnow()).id == credential.id
    credential.live_form = "card"
    db.session.commit()
    assert [key["kid"] for key in tokens.jwks()["keys"]] == ["k1", "k2"]
    # a token claiming k1 but signed with k2's key is refused
    assert reason_of("k1." + new.split(".", 1)[1]) == "invalid"
    # once k1 is retired its tokens no longer verify; an unknown kid is invalid
    app.config["ED25519_KEYS"] = {"k2": seed(2)}
    assert reason_of(old) == "invalid"
    assert reason_of("zz." + new.split(".", 1)[1]) == "invalid"
    # the same kid with a different key (a wrong key) is invalid too
    app.config["ED25519_KEYS"] = {"k2": seed(3)}
    assert reason_of(new) == "invalid"


def test_a_card_codes_signature_is_checked_once_a_forged_ones_every_time(app, make):
    app.config["ED25519_KEYS"] = {"k9": seed(9)}  # a key configuration of its own: nothing remembered yet
    app.config["ED25519_SIGNING_KID"] = None
    credential = make.credential()
    token = tokens.card_token(credential)
    keys = tokens.signing_keys()
    for _ in range(3):
        assert resolve_code(token, utcnow()).id == credential.id
    info = keys.card_verified.cache_info()
    assert (info.hits, info.misses, info.currsize) == (2, 1, 1)
    kid, body = token.split(".")
    forged = f"{kid}.{body[:60]}{'A' if body[60] != 'A' else 'B'}{body[61:]}"  # a character of the signature
    assert [reason_of(forged) for _ in range(2)] == ["invalid", "invalid"]
    assert keys.card_verified.cache_info().misses == 3 and keys.card_verified.cache_info().currsize == 1
    credential.live_form = "phone"
    db.session.commit()
    assert resolve_code(tokens.phone_token(credential, utcnow()), utcnow()).id == credential.id
    assert keys.card_verified.cache_info().currsize == 1  # phone codes change every step: never kept


def test_the_default_key_comes_from_the_secret_key_so_every_node_shares_it(tmp_path):
    from baiye.factory import create_app
    from ..conftest import base_config

    first = create_app(dict(base_config(tmp_path))).config["ED25519_KEYS"]
    second = create_app(dict(base_config(tmp_path / "other"))).config["ED25519_KEYS"]  # another node
    other = create_app(dict(base_config(tmp_path), SECRET_KEY="another-secret")).config["ED25519_KEYS"]
    (kid, seed_text), = first.items()
    assert first == second and other != first and len(kid) == 6
    assert tokens.key_id(tokens.load_private_key(seed_text)) == kid
    assert not list(tmp_path.rglob("*.pem"))  # nothing kept on one node's disk


def test_legacy_hmac_cards_still_verify_as_card_qr(app, make):
    credential = make.credential()
    legacy = tokens.legacy_card_token(credential)  # as printed before Ed25519: kid d1, HMAC from SECRET_KEY
    assert legacy.startswith("d1.") and len(legacy) < 45
    resolved = resolve_code(tokens.code_url(legacy), utcnow())
    assert resolved.id == credential.id and resolved.credential_form == "card_qr"
    kid, body = legacy.split(".")
    assert reason_of(kid + "." + body[:-2] + ("AA" if body[-2:] != "AA" else "BB")) == "invalid"
    app.config["ACCEPT_LEGACY_CARDS"] = False
    assert reason_of(legacy) == "invalid"
    app.config["ACCEPT_LEGACY_CARDS"] = True
    app.config["SECRET_KEY"] = "another"  # the key it was made with is gone
    assert reason_of(legacy) == "invalid"
    revoke_credential(credential, None, "reissued")


def test_forms_are_recorded_and_the_other_form_is_refused(app, make):
    credential = make.credential()
    now = utcnow()
    assert resolve_code(tokens.card_token(credential), now).credential_form == "card_qr"
    assert resolve_code(credential.card_no, now).credential_form == "card_number"
    with pytest.raises(DomainError) as caught:
        resolve_code(tokens.phone_token(credential, now), now)
    assert caught.value.extra == {"reason": "revoked", "detail": "phone_not_live"}
    credential.live_form = "phone"
    db.session.commit()
    assert resolve_code(tokens.phone_token(credential, now), now).credential_form == "phone_qr"
    assert resolve_code(tokens.phone_digits(credential, now), now).credential_form == "phone_digits"
    for code in (tokens.card_token(credential), credential.card_no):
        with pytest.raises(DomainError) as caught:
            resolve_code(code, now)
        assert caught.value.extra == {"reason": "revoked", "detail": "card_not_live"}
        assert "手机" in caught.value.message


def test_phone_digits_window_and_format(app, make, clock):
    from datetime import datetime

    now = clock.at(datetime(2026, 11, 21, 3, 0, 0))
    credential = make.credential(live_form="phone")
    digits = tokens.phone_digits(credential, now)
    assert len(digits) == 12 and digits.startswith("0") and digits.isdigit()
    assert not tokens.card_no_valid(digits) or not tokens.CARD_RE.match(digits)  # never taken for a card number
    assert tokens.format_digits(digits) == f"{digits[:4]} {digits[4:8]} {digits[8:]}"
    step = app.config["PHONE_CODE_STEP_SECONDS"]
    grace = app.config["PHONE_CODE_GRACE_STEPS"]
    _refresh, expires_at = tokens.phone_code_times(now)
    assert resolve_code(tokens.format_digits(digits), now).id == credential.id
    assert resolve_code(digits, expires_at - timedelta(seconds=1)).id == credential.id
    with pytest.raises(DomainError) as caught:
        resolve_code(digits, expires_at)
    assert caught.value.extra == {"reason": "unknown", "detail": "digits"}
    assert expires_at - now <= timedelta(seconds=step * (grace + 1)) <= timedelta(seconds=90)
    # a wrong code in the right slot misses
    wrong = digits[:5] + f"{(int(digits[5:]) + 1) % 10**7:07d}"
    with pytest.raises(DomainError):
        resolve_code(wrong, now)


def test_guess_probability_per_try_is_below_one_in_a_million(app):
    accepted_steps = app.config["PHONE_CODE_GRACE_STEPS"] + 1
    assert accepted_steps / tokens.DIGITS_CODE < 1e-6  # against one credential (its slot is shown on the phone)


def test_qr_version_and_error_correction(make):
    """The phone code's QR stays small: version <= 10 at error correction M (the card code is the baseline)."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    credential = make.credential(name="欧阳小明")
    credential.member.category = "martyr_family"
    versions = {}
    for name, token in (("card", tokens.card_token(credential)), ("phone", tokens.phone_token(credential, utcnow())),
                        ("legacy", tokens.legacy_card_token(credential))):
        code = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
        code.add_data(tokens.code_url(token))
        code.make(fit=True)
        versions[name] = code.version
    assert versions["phone"] <= 10 and versions["card"] <= 10, versions
    assert versions["legacy"] <= versions["card"] <= versions["phone"]
    print("QR versions at ECC M:", versions)


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
