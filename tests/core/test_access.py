"""Every route, called by a cashier of shop A against shop B's records and a member's: refused.

The route list is read from the app, so a new route is checked the day it is added: either it
refuses a cashier of another shop, or it is named below as open to everyone or scoped to the
caller's own shop (and then it must still leak nothing of B or of the member).
"""
import io
import re

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from baiye.accounts.services import issue_api_token
from baiye.application import site_apps
from baiye.extensions import db
from reports.photos import add_photo
from verification.till import operations as redemptions
from verification.tokens import card_token, code_url

# Open to anyone, or acting only on the caller's own shop or account.
OPEN = {
    "static", "core.index", "core.healthz", "core.favicon", "core.switch_language", "openapi.document", "openapi.docs_page",
    "accounts.login", "accounts.logout", "accounts_api.login",
    "shops.directory", "shops.detail", "shops.register", "shops.mine",
    "shops_api.meta", "shops_api.directory", "shops_api.detail", "shops_api.offer_detail", "shops_api.register",
    "verification.activate", "verification_api.activate",
    "scan.scan", "scan.today", "scan.history", "scan.export", "scan.result", "scan.decode_frame",
    "scan.open_code", "scan.photo",
    "redemption_api.verify", "redemption_api.redeem", "redemption_api.index",
    "reports.public", "reports_api.public", "jwks.jwks", "core.document", "ledger.checkpoints", "ledger_pages.checkpoints", "ledger_pages.verifier",
}
REFUSED = {401, 403, 404}


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 30, 30)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def world(app, make, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    a, b = make.shop(name="甲店"), make.shop(name="乙店")
    offer_b = make.offer(b)
    cashier_a, cashier_b = make.cashier(a), make.cashier(b)
    member = make.member(name="欧阳秘密", phone="13712345678")
    credential = member.credentials[0]
    with app.test_request_context():
        url = code_url(card_token(credential))
        redemption_b, _ = redemptions.redeem(b, cashier_b, url, offer_b.id, 10000)
    photo_b = add_photo(b, b.owner, FileStorage(io.BytesIO(jpeg()), filename="plaque.jpg"), caption="拥军优待牌")
    return dict(a=a, b=b, offer_b=offer_b, photo_b=photo_b, cashier_a=cashier_a, cashier_b=cashier_b, member=member,
                credential=credential, redemption_b=redemption_b, card_url=url)


def build_path(rule, world):
    values = {"shop_id": world["b"].id, "offer_id": world["offer_b"].id, "member_id": world["member"].id,
              "credential_id": world["credential"].id, "redemption_id": world["redemption_b"].id,
              "user_id": world["cashier_b"].id, "token": world["card_url"].rsplit("/", 1)[1], "code": "en",
              "action": "suspend", "filename": "css/app.css", "photo_id": world["photo_b"].id}
    return re.sub(r"<(?:[^:<>]+:)?([a-z_]+)>", lambda m: str(values.get(m[1], 1)), rule.rule)


def test_cashier_of_another_shop_reaches_nothing(app, client, world):
    token = issue_api_token(world["cashier_a"])
    db.session.commit()
    assert client.post("/login", data={"username": world["cashier_a"].username, "password": "secret123"}).status_code == 302
    secrets_ = [world["member"].name, world["member"].phone, world["b"].licence_no]
    checked = 0
    for rule in (rule for each in site_apps(app) for rule in each.url_map.iter_rules()):
        if rule.endpoint == "accounts.logout":
            continue  # would end the session under test
        path = build_path(rule, world)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
            kwargs = {"json": {}} if path.startswith("/api/") and method != "GET" else {}
            response = client.open(path, method=method, headers=headers, **kwargs)
            checked += 1
            body = response.get_data(as_text=True) if not response.is_streamed or response.mimetype.startswith(("text", "application/json")) else ""
            for secret in secrets_:
                assert secret not in body, (method, path, secret)
            if rule.endpoint not in OPEN:
                assert response.status_code in REFUSED, (method, path, rule.endpoint, response.status_code)
    assert checked > 60


def test_own_shop_routes_do_not_show_another_shops_records(client, world):
    assert client.post("/login", data={"username": world["cashier_a"].username, "password": "secret123"}).status_code == 302
    assert client.get(f"/shop/redemptions/{world['redemption_b'].id}").status_code in REFUSED
    assert client.post(f"/shop/redemptions/{world['redemption_b'].id}/void", data={"reason": "x"}).status_code in REFUSED
    today = client.get("/shop/today").get_data(as_text=True)
    assert "10000" not in today and "100.00" not in today


def test_api_redemption_list_is_scoped_to_own_shop(api, world):
    as_a = api.as_(world["cashier_a"])
    body = as_a.get(f"/redemptions?shop_id={world['b'].id}").get_json()
    assert body.get("items", []) == [] or body.get("error")
    assert as_a.post(f"/redemptions/{world['redemption_b'].id}/void", json={"reason": "x"}).status_code in REFUSED
