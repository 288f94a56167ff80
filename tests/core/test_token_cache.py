"""The per-process bearer-token cache (baiye.accounts.services.token_cache) and the till's uncached reads.

Expiry stays exact, a change made in this process takes effect at once, and a change made by another
worker (a direct database write here) takes effect within API_TOKEN_CACHE_SECONDS.
"""
from datetime import timedelta

import pytest
from sqlalchemy import delete, update

from baiye.accounts import services as accounts
from baiye.accounts.models import ApiToken, User
from baiye.clock import utcnow
from baiye.extensions import db
from shops.models import Offer
from shops.services import set_cashier_enabled
from verification.members import services as members
from verification.members.models import Credential


@pytest.fixture(autouse=True)
def empty_cache():
    accounts.forget_tokens()
    yield
    accounts.forget_tokens()


@pytest.fixture
def clock(monkeypatch):
    """Control the cache's monotonic clock."""

    class Clock:
        now = 1000.0

    monkeypatch.setattr(accounts.time, "monotonic", lambda: Clock.now)
    return Clock


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_cached_user_is_a_snapshot_with_the_route_fields(make):
    shop = make.shop()
    cashier = make.cashier(shop)
    token = accounts.issue_api_token(cashier)
    db.session.commit()
    user = accounts.user_for_token(token)
    assert (user.id, user.role, user.shop_id, user.username) == (cashier.id, "cashier", shop.id, cashier.username)
    assert user.is_authenticated and user.is_active and user.has_role("cashier")
    assert accounts.user_for_token(token) is user  # the second lookup is served from the cache


def test_expiry_is_exact_even_when_cached(make):
    user = make.user()
    now = utcnow()
    token = accounts.issue_api_token(user, now=now)
    db.session.commit()
    expires = now + accounts.current_app.config["API_TOKEN_TTL"]
    assert accounts.user_for_token(token, now=expires - timedelta(seconds=1)) is not None
    assert accounts.user_for_token(token, now=expires) is None


def test_token_deleted_by_another_worker_stops_within_the_ttl(app, make, clock):
    user = make.user()
    token = accounts.issue_api_token(user)
    db.session.commit()
    assert accounts.user_for_token(token) is not None
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))  # as another process would
    db.session.commit()
    clock.now += app.config["API_TOKEN_CACHE_SECONDS"] - 0.5
    assert accounts.user_for_token(token) is not None  # still inside the documented bound
    clock.now += 0.5
    assert accounts.user_for_token(token) is None


def test_user_disabled_by_another_worker_stops_within_the_ttl(app, make, clock):
    user = make.user()
    token = accounts.issue_api_token(user)
    db.session.commit()
    assert accounts.user_for_token(token) is not None
    db.session.execute(update(User).where(User.id == user.id).values(is_disabled=True))
    db.session.commit()
    clock.now += app.config["API_TOKEN_CACHE_SECONDS"]
    assert accounts.user_for_token(token) is None


def test_cache_can_be_turned_off(app, make):
    app.config["API_TOKEN_CACHE_SECONDS"] = 0
    user = make.user()
    token = accounts.issue_api_token(user)
    db.session.commit()
    assert accounts.user_for_token(token) is not None
    db.session.execute(delete(ApiToken))
    db.session.commit()
    assert accounts.user_for_token(token) is None


def test_removed_cashier_is_refused_at_once(client, make, till):
    token = accounts.issue_api_token(till.cashier)
    db.session.commit()
    body = {"code": till.card.card_no}
    assert client.post("/api/v1/verify", json=body, headers=bearer(token)).status_code == 200
    set_cashier_enabled(till.shop, till.owner, till.cashier.id, False)
    response = client.post("/api/v1/verify", json=body, headers=bearer(token))
    assert response.status_code == 401


def test_revoked_credential_is_refused_on_the_next_scan(client, make, till):
    token = accounts.issue_api_token(till.cashier)
    db.session.commit()
    body = {"code": till.card.card_no}
    assert client.post("/api/v1/verify", json=body, headers=bearer(token)).get_json()["valid"] is True
    members.revoke_credential(db.session.get(Credential, till.card.id), make.coordinator(), "遗失")
    answer = client.post("/api/v1/verify", json=body, headers=bearer(token)).get_json()
    assert (answer["valid"], answer["reason"], answer["credential_form"]) == (False, "revoked", "card_number")
    redeem = client.post("/api/v1/redemptions", headers=bearer(token),
                         json={"code": till.card.card_no, "offer_id": till.offer.id, "bill": 1000})
    assert redeem.status_code == 409 and redeem.get_json()["error"]["reason"] == "revoked"


def test_offer_change_shows_on_the_next_scan(client, make, till):
    token = accounts.issue_api_token(till.cashier)
    db.session.commit()
    body = {"code": till.card.card_no}
    offers = client.post("/api/v1/verify", json=body, headers=bearer(token)).get_json()["offers"]
    assert [o["id"] for o in offers] == [till.offer.id]
    db.session.execute(update(Offer).where(Offer.id == till.offer.id).values(is_active=False))
    db.session.commit()
    assert client.post("/api/v1/verify", json=body, headers=bearer(token)).get_json()["offers"] == []


def test_suspended_shop_is_refused_on_the_next_scan(client, make, till):
    token = accounts.issue_api_token(till.cashier)
    db.session.commit()
    body = {"code": till.card.card_no}
    assert client.post("/api/v1/verify", json=body, headers=bearer(token)).status_code == 200
    till.shop.status = "suspended"
    db.session.commit()
    response = client.post("/api/v1/verify", json=body, headers=bearer(token))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "shop_not_approved"


def test_limit_counted_without_any_cache(client, make, till):
    token = accounts.issue_api_token(till.cashier)
    offer = make.offer(till.shop, limit_per_member=1, limit_period="day")
    db.session.commit()
    body = {"code": till.card.card_no, "offer_id": offer.id, "bill": 1000}
    assert client.post("/api/v1/redemptions", json=body, headers=bearer(token)).status_code == 201
    again = client.post("/api/v1/redemptions", json=body, headers=bearer(token))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "limit_reached"
    uses = client.post("/api/v1/verify", json={"code": till.card.card_no}, headers=bearer(token)).get_json()["offers"]
    assert {o["id"]: o["remaining"] for o in uses}[offer.id] == 0
