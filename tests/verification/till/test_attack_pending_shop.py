"""Attack: a shop that registered itself a minute ago (pending, never vetted) counts misses against any member's typed
number, so a stranger can pause any member's typed path (and every credential sharing its slot) indefinitely."""
import uuid
from datetime import datetime

import pytest

from verification import tokens


@pytest.fixture
def config(tmp_path):
    from ...conftest import base_config

    return base_config(tmp_path) | {"RATELIMIT_ENABLED": True, "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex}


def test_a_pending_shop_cannot_pause_a_members_typed_number(api, make, till, clock):
    now = clock.at(datetime(2026, 11, 21, 3, 0, 0))
    credential = make.credential(live_form="phone")
    digits = tokens.phone_digits(credential, now)
    stranger = make.shop(status="pending").owner  # anyone can register a shop: POST /api/v1/shops, no vetting
    for i in range(1, 6):
        wrong = digits[:5] + f"{(int(digits[5:]) + i) % 10**7:07d}"
        response = api.as_(stranger).post("/verify", json={"code": wrong})
        assert response.status_code == 409 and response.get_json()["error"]["code"] == "shop_not_approved"
    # a real cashier at an approved shop, with the member's right number in front of them
    response = api.as_(till.cashier).post("/verify", json={"code": digits})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["valid"] is True
