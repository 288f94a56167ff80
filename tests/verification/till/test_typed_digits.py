"""The phone's typed number: misses against one credential slow its typed path down (with rate limits on)."""
import uuid
from datetime import datetime

import pytest

from baiye.errors import DomainError
from baiye.extensions import db
from verification import tokens
from verification.till.credentials import resolve_code


@pytest.fixture
def config(tmp_path):
    from ...conftest import base_config

    return base_config(tmp_path) | {"RATELIMIT_ENABLED": True, "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex}


@pytest.fixture(autouse=True)
def request_ctx(app):
    with app.test_request_context():
        yield


def reason_of(code, now):
    with pytest.raises(DomainError) as caught:
        resolve_code(code, now)
    return caught.value.extra.get("reason")


def test_guessing_the_digits_slows_that_credential_down(app, make, clock):
    now = clock.at(datetime(2026, 11, 21, 3, 0, 0))
    credential = make.credential(live_form="phone")
    digits = tokens.phone_digits(credential, now)
    wrong = digits[:5] + f"{(int(digits[5:]) + 1) % 10**7:07d}"
    for _ in range(5):
        assert reason_of(wrong, now) == "unknown"
    with pytest.raises(DomainError) as caught:
        resolve_code(digits, now)  # even the right number waits now
    assert caught.value.status == 429 and caught.value.code == "rate_limited"
    assert "暂停" in caught.value.message and "扫码" in caught.value.message
    # the QR is not slowed, nor another credential's typed number
    assert resolve_code(tokens.phone_token(credential, now), now).id == credential.id
    other = make.credential()
    other.live_form = "phone"
    other.digits_slot = (credential.digits_slot + 1) % tokens.DIGITS_SLOTS
    db.session.commit()
    assert resolve_code(tokens.phone_digits(other, now), now).id == other.id


def test_typed_digits_through_the_api(api, make, till, clock):
    now = clock.at(datetime(2026, 11, 21, 3, 0, 0))
    cashier = till.cashier
    credential = make.credential(live_form="phone")
    digits = tokens.phone_digits(credential, now)
    answer = api.as_(cashier).post("/verify", json={"code": tokens.format_digits(digits)}).get_json()
    assert answer["valid"] is True and answer["credential_form"] == "phone_digits"
    wrong = digits[:5] + f"{(int(digits[5:]) + 1) % 10**7:07d}"
    for _ in range(5):
        answer = api.as_(cashier).post("/verify", json={"code": wrong}).get_json()
        assert answer["valid"] is False and answer["reason"] == "unknown" and answer["detail"] == "digits"
    response = api.as_(cashier).post("/verify", json={"code": digits})
    assert response.status_code == 429
    assert "手输已暂停" in response.get_json()["error"]["message"]
