"""Sessions that really end: signing out, a new password and a disabled account end every session and
remember-me cookie of the user, wherever it was copied to."""
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from baiye.extensions import db

from ..shops.test_views import sign_in

SHOP_PAGES = ("/shop", "/shop/history")


def copy_of(client, *names):
    """A second browser holding copies of these cookies of `client` (taken now)."""
    other = client.application.test_client()
    for name in names:
        other.set_cookie(name, client.get_cookie(name).value)
    return other


def assert_signed_in(client):
    for path in SHOP_PAGES:
        assert client.get(path).status_code == 200, path
    assert client.get("/api/v1/redemptions").status_code == 200


def assert_signed_out(client):
    for path in SHOP_PAGES:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    assert client.get("/api/v1/redemptions").status_code == 401


def test_signing_out_ends_every_copy_of_the_session_and_the_remember_cookie(client, make):
    owner = make.shop().owner
    sign_in(client, owner)
    session_copy = copy_of(client, "session", "remember_token")
    remember_copy = copy_of(client, "remember_token")
    other_phone = client.application.test_client()
    sign_in(other_phone, owner)
    assert_signed_in(session_copy)
    assert_signed_in(remember_copy)

    assert client.post("/logout").status_code == 302
    assert_signed_out(client)
    assert_signed_out(session_copy)
    assert_signed_out(remember_copy)
    assert_signed_out(other_phone)  # signing out ends every session of the user, not only this browser's
    sign_in(client, owner)  # and a new sign-in works as before
    assert_signed_in(client)


def test_signing_out_also_ends_the_bearer_tokens(client, api, make):
    owner = make.shop().owner
    caller = api.as_(owner)
    assert caller.get("/redemptions").status_code == 200
    sign_in(client, owner)
    client.post("/logout")
    assert caller.get("/redemptions").status_code == 401


def test_a_new_password_ends_the_cashiers_sessions(client, make):
    shop = make.shop()
    cashier = make.cashier(shop)
    till = client.application.test_client()
    sign_in(till, cashier)
    copy = copy_of(till, "remember_token")
    assert_signed_in(copy)
    sign_in(client, shop.owner)
    assert client.post(f"/shop/staff/{cashier.id}/password", data={"password": "newpass2026"}).status_code == 302
    assert_signed_out(till)
    assert_signed_out(copy)


def test_disabling_a_cashier_ends_its_sessions_even_once_enabled_again(client, make):
    shop = make.shop()
    cashier = make.cashier(shop)
    till = client.application.test_client()
    sign_in(till, cashier)
    copy = copy_of(till, "session", "remember_token")
    sign_in(client, shop.owner)
    client.post(f"/shop/staff/{cashier.id}/disable")
    assert_signed_out(copy)
    client.post(f"/shop/staff/{cashier.id}/enable")
    db.session.expire_all()
    assert_signed_out(till)  # a cookie taken while the account was on does not come back with it
    sign_in(till, cashier)
    assert_signed_in(till)


def test_the_remember_cookie_lives_thirty_days(client, make):
    owner = make.shop().owner
    before = datetime.now(timezone.utc)
    response = client.post("/login", data={"username": owner.username, "password": make.password})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert before + timedelta(days=30) - timedelta(minutes=1) <= expires <= datetime.now(timezone.utc) + timedelta(days=30)
