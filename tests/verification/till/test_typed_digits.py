"""The phone's typed number: misses against one credential slow its typed path down (with rate limits on)."""
import uuid
from datetime import datetime

import pytest

from baiye.clock import utcnow
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


def guesses(digits, n=5):
    """n different wrong numbers in the credential's slot, as someone guessing would try them."""
    return [digits[:5] + f"{(int(digits[5:]) + i) % 10**7:07d}" for i in range(1, n + 1)]


def test_guessing_the_digits_slows_that_credential_down(app, make, clock):
    now = clock.at(datetime(2026, 11, 21, 3, 0, 0))
    credential = make.credential(live_form="phone")
    digits = tokens.phone_digits(credential, now)
    for wrong in guesses(digits):
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
    for wrong in guesses(digits):
        answer = api.as_(cashier).post("/verify", json={"code": wrong}).get_json()
        assert answer["valid"] is False and answer["reason"] == "unknown" and answer["detail"] == "digits"
    response = api.as_(cashier).post("/verify", json={"code": digits})
    assert response.status_code == 429
    assert "手输已暂停" in response.get_json()["error"]["message"]


def test_one_attempt_at_the_till_is_one_miss(client, make, till, clock):
    """The till's scan page checks a typed number, then opens its result page, which checks it again; a reload checks
    it once more. The same wrong number within one time step is one miss (it tells a guesser nothing new), so the
    cashier has the five tries TYPED_DIGITS_MISSES gives, and a number tried again in a later step counts again."""
    from datetime import timedelta

    from .test_pages import sign_in

    now = clock.at(datetime(2026, 11, 21, 3, 0, 0))
    credential = make.credential(live_form="phone")
    digits = tokens.phone_digits(credential, now)
    first, *others = guesses(digits)
    sign_in(client, till.cashier)

    def typed(code):
        return client.post("/scan/open", data={"code": code}, follow_redirects=True)

    for _ in range(3):  # a typo retyped, its result page reloaded: one miss
        page = typed(first)
        assert page.status_code == 200 and "手机数字码不对" in page.get_data(as_text=True)
        assert client.get(f"/v/{first}").status_code == 200
    for wrong in others[:3]:
        assert typed(wrong).status_code == 200
    assert "有效" in typed(digits).get_data(as_text=True)  # four misses: the right number still opens

    clock.at(datetime(2026, 11, 21, 3, 0, 0) + timedelta(seconds=app_step(client)))  # the next step
    paused = typed(first)  # the same number, a step later: a new guess, the fifth miss, and the cashier is told
    assert paused.status_code == 429 and "手输已暂停" in paused.get_data(as_text=True)
    slowed = typed(tokens.phone_digits(credential, utcnow()))  # even the right number waits now
    assert slowed.status_code == 429 and "请改用扫码" in slowed.get_data(as_text=True)


def app_step(client):
    return client.application.config["PHONE_CODE_STEP_SECONDS"]
