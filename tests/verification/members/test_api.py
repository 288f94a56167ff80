"""Members and credentials through the JSON API: the contract of API.md."""
import io
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image

from baiye.audit import AuditEntry
from baiye.clock import local_date, utcnow
from baiye.errors import DomainError
from baiye.extensions import db
from verification.members.models import ActivationLink, Credential, Member
from verification import tokens
from verification.till.credentials import resolve_code

from ...conftest import assert_error
from ...factories import id_number_for


@pytest.fixture
def coord(api, make):
    return api.as_(make.coordinator())


def body(**overrides):
    data = {"name": "王建国", "category": "veteran", "id_number": id_number_for(901), "phone": "13900001111",
            "expires_on": (local_date(utcnow()) + timedelta(days=365)).isoformat()}
    data.update(overrides)
    return data


def actions():
    return [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]


def test_enrol_returns_member_credential_and_activation_url(coord):
    response = coord.post("/members", json=body())
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["credential"]["status"] == "active" and data["credential"]["card_no"]
    assert data["activation_url"].startswith("https://yj.example.cn/activate/")
    member = db.session.get(Member, data["id"])
    assert member.id_last4 == id_number_for(901)[-4:]
    assert id_number_for(901) not in str(data)
    stored = db.session.execute(db.text("SELECT * FROM member")).mappings().one()
    assert id_number_for(901) not in str(dict(stored))  # never in clear
    assert actions() == ["member.enrol", "credential.issue", "activation.create"]


def test_enrol_validation_and_duplicates(coord):
    error = assert_error(coord.post("/members", json={}), 422, "validation_error")
    assert set(error["fields"]) == {"name", "category", "id_number", "expires_on"}
    number = id_number_for(902)
    typo = number[:-1] + ("0" if number[-1] != "0" else "1")
    error = assert_error(coord.post("/members", json=body(id_number=typo)), 422, "validation_error")
    assert "校验位" in error["fields"]["id_number"][0]
    assert_error(coord.post("/members", json=body(id_number="12345")), 422, "validation_error")
    assert_error(coord.post("/members", json=body(category="general")), 422, "validation_error")
    assert_error(coord.post("/members", json=body(phone="12")), 422, "validation_error")
    assert_error(coord.post("/members", json=body(expires_on="2000-01-01")), 422, "validation_error")
    assert_error(coord.post("/members", json=body(name=5)), 422, "validation_error")
    assert_error(coord.post("/members", data="[]", content_type="application/json"), 400, "malformed_body")
    assert db.session.query(Member).count() == 0
    assert coord.post("/members", json=body(id_number=number)).status_code == 201
    error = assert_error(coord.post("/members", json=body(id_number=number.lower(), name="别人")), 409,
                         "duplicate_member")
    assert "id_number" in error["fields"]
    assert db.session.query(Member).count() == 1


def test_member_detail_never_shows_the_id_number(coord, make):
    member = make.member(id_number=id_number_for(903))
    data = coord.get(f"/members/{member.id}").get_json()
    assert set(data) >= {"id", "name", "category", "id_last4", "phone", "expires_on", "status", "credential"}
    assert data["status"] == "active" and data["id_last4"] == id_number_for(903)[-4:]
    assert id_number_for(903) not in str(data)
    assert_error(coord.get("/members/9999"), 404, "not_found")


def test_reissue_revokes_the_old_credential(app, coord, make):
    member = make.member()
    old = member.credentials[0]
    old_token = tokens.card_token(old)
    response = coord.post(f"/members/{member.id}/credentials")
    assert response.status_code == 201
    new = response.get_json()
    assert new["serial"] == 2 and new["status"] == "active" and new["card_no"] != old.card_no
    db.session.expire_all()
    assert db.session.get(Credential, old.id).status == "revoked"
    assert db.session.query(Credential).filter_by(member_id=member.id, status="active").count() == 1
    card = coord.get(f"/credentials/{old.id}/card").get_json()
    assert card["status"] == "revoked"
    with app.test_request_context(), pytest.raises(DomainError) as caught:
        resolve_code(old_token, utcnow())
    assert caught.value.extra["reason"] == "revoked"
    assert "credential.reissue" in actions()


def test_revoke_needs_a_reason_and_happens_once(coord, make):
    credential = make.credential()
    assert_error(coord.post(f"/credentials/{credential.id}/revoke", json={}), 422, "validation_error")
    assert_error(coord.post(f"/credentials/{credential.id}/revoke", json={"reason": "  "}), 422, "validation_error")
    response = coord.post(f"/credentials/{credential.id}/revoke", json={"reason": "证件遗失"})
    assert response.status_code == 200 and response.get_json()["status"] == "revoked"
    assert_error(coord.post(f"/credentials/{credential.id}/revoke", json={"reason": "again"}), 409,
                 "invalid_transition")
    assert_error(coord.post("/credentials/999/revoke", json={"reason": "x"}), 404, "not_found")
    assert coord.get(f"/members/{credential.member_id}").get_json()["status"] == "revoked"
    entry = db.session.query(AuditEntry).filter_by(action="credential.revoke").one()
    assert entry.detail["reason"] == "证件遗失"


def test_activation_once_then_used_superseded_unknown(coord, api):
    first = coord.post("/members", json=body()).get_json()
    member_id = first["id"]
    second_url = coord.post(f"/members/{member_id}/activation").get_json()["activation_url"]
    assert_error(api.post("/auth/activate", json={"activation_url": first["activation_url"]}), 409,
                 "activation_superseded")
    response = api.post("/auth/activate", json={"activation_url": second_url})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["user"]["role"] == "member" and data["user"]["member_id"] == member_id
    assert data["user"]["username"] == f"m{member_id}"
    assert_error(api.post("/auth/activate", json={"activation_url": second_url}), 409, "activation_used")
    bare = second_url.rsplit("/", 1)[1]
    assert_error(api.post("/auth/activate", json={"token": bare}), 409, "activation_used")
    altered = second_url[:-2] + ("AA" if not second_url.endswith("AA") else "BB")
    assert_error(api.post("/auth/activate", json={"activation_url": altered}), 404, "not_found")
    assert_error(api.post("/auth/activate", json={"activation_url": "nonsense"}), 404, "not_found")
    assert_error(api.post("/auth/activate", json={}), 422, "validation_error")
    # the token works for the member's own routes
    member_api = type(api)(api.client, data["token"])
    code = member_api.get("/me/code")
    assert code.status_code == 200 and code.headers["Cache-Control"] == "no-store"
    # a third link for the same member signs in the same account
    third = coord.post(f"/members/{member_id}/activation").get_json()["activation_url"]
    again = api.post("/auth/activate", json={"activation_url": third}).get_json()
    assert again["user"]["id"] == data["user"]["id"]
    assert_error(member_api.get("/me/code"), 401, "not_signed_in")  # the earlier phone's token is gone
    assert type(api)(api.client, again["token"]).get("/me/code").status_code == 200
    assert db.session.query(ActivationLink).filter(ActivationLink.used_at.isnot(None)).count() == 2
    assert actions().count("activation.use") == 2


def test_me_code_for_the_member(coord, api, app):
    created = coord.post("/members", json=body()).get_json()
    login = api.post("/auth/activate", json={"activation_url": created["activation_url"]}).get_json()
    member_api = type(api)(api.client, login["token"])
    data = member_api.get("/me/code").get_json()
    assert set(data) >= {"qr_url", "expires_at", "refresh_at"}
    assert data["expires_at"].endswith("Z") and data["refresh_at"] < data["expires_at"]
    credential = resolve_code(data["qr_url"], utcnow())
    assert credential.member_id == created["id"]
    assert data["qr_url"] != tokens.code_url(tokens.card_token(credential))  # a phone code, not the card code
    # revoked: the member is told, not given a code
    coord.post(f"/credentials/{credential.id}/revoke", json={"reason": "x"})
    error = assert_error(member_api.get("/me/code"), 409, "credential_invalid")
    assert error["reason"] == "revoked"


def test_printing_a_card_through_the_api_makes_it_the_live_form_and_is_audited(coord, api, make):
    created = coord.post("/members", json=body()).get_json()
    login = api.post("/auth/activate", json={"activation_url": created["activation_url"]}).get_json()
    member_api = type(api)(api.client, login["token"])
    credential_id = created["credential"]["id"]
    assert member_api.get("/me/code").status_code == 200  # the phone is the live form once activated
    assert coord.get(f"/credentials/{credential_id}/card").get_json()["live_form"] == "phone"  # seeing is not printing
    for caller in (member_api, api.as_(make.shop().owner)):  # a coordinator's act only
        assert_error(caller.post(f"/credentials/{credential_id}/print"), 403, "forbidden")

    printed = coord.post(f"/credentials/{credential_id}/print")
    assert printed.status_code == 200, printed.get_json()
    card = printed.get_json()
    assert card["live_form"] == "card" and card["card_no"] == created["credential"]["card_no"]
    entry = db.session.query(AuditEntry).filter_by(action="credential.print").one()
    assert (entry.target_type, entry.target_id) == ("credential", credential_id)
    assert entry.detail == {"member_id": created["id"], "previous_form": "phone"}
    assert resolve_code(card["qr_url"], utcnow()).id == credential_id  # the printed card verifies ...
    error = assert_error(member_api.get("/me/code"), 409, "credential_invalid")  # ... and the phone code stops
    assert (error["reason"], error["detail"]) == ("revoked", "phone_not_live") and "实体卡" in error["message"]

    coord.post(f"/credentials/{credential_id}/revoke", json={"reason": "遗失"})
    assert_error(coord.post(f"/credentials/{credential_id}/print"), 409, "invalid_transition")
    assert db.session.query(AuditEntry).filter_by(action="credential.print").count() == 1


def test_card_json_and_images_decode_to_the_reported_url(coord, make):
    credential = make.credential()
    card = coord.get(f"/credentials/{credential.id}/card").get_json()
    assert card["card_no"] == credential.card_no
    assert card["qr_url"].startswith("https://yj.example.cn/v/")
    for path in (f"/credentials/{credential.id}/card.png", f"/credentials/{credential.id}/qr.png"):
        response = coord.get(path)
        assert response.status_code == 200 and response.mimetype == "image/png"
        image = Image.open(io.BytesIO(response.data))
        found = zxingcpp.read_barcodes(image)
        assert [r.text for r in found] == [card["qr_url"]]
    svg = coord.get(f"/credentials/{credential.id}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert resolve_code(card["qr_url"], utcnow()).id == credential.id


def test_card_image_is_rendered_once(coord, make):
    from verification import qr

    credential = make.credential()
    qr.card_png.cache_clear()
    first = coord.get(f"/credentials/{credential.id}/card.png").data
    second = coord.get(f"/credentials/{credential.id}/card.png").data
    assert first == second
    info = qr.card_png.cache_info()
    assert info.misses == 1 and info.hits == 1


def test_role_checks(api, make, coord):
    shop = make.shop()
    owner = api.as_(shop.owner)
    cashier = api.as_(make.cashier(shop))
    member = make.member()
    credential = member.credentials[0]
    routes = [("post", "/members", {"json": body()}), ("get", f"/members/{member.id}", {}),
              ("get", "/members", {}),
              ("post", f"/members/{member.id}/activation", {}), ("post", f"/members/{member.id}/credentials", {}),
              ("post", f"/credentials/{credential.id}/revoke", {"json": {"reason": "x"}}),
              ("get", f"/credentials/{credential.id}/card", {}), ("get", f"/credentials/{credential.id}/card.png", {}),
              ("get", "/me/code", {})]
    for caller in (owner, cashier):
        for method, path, kw in routes:
            assert_error(getattr(caller, method)(path, **kw), 403, "forbidden")
    for method, path, kw in routes:
        assert_error(getattr(api, method)(path, **kw), 401, "not_signed_in")
    assert_error(coord.get("/me/code"), 403, "forbidden")


def test_member_sees_only_their_own_card(coord, api, make):
    other = make.member(name="赵六")
    created = coord.post("/members", json=body()).get_json()
    login = api.post("/auth/activate", json={"activation_url": created["activation_url"]}).get_json()
    me = type(api)(api.client, login["token"])
    own_id = created["credential"]["id"]
    # A member's phone holds no static code: not even their own card (a coordinator prints it).
    for path in ("card", "card.png", "qr.svg", "qr.png"):
        assert_error(me.get(f"/credentials/{own_id}/{path}"), 403, "forbidden")
    assert_error(me.get(f"/credentials/{other.credentials[0].id}/card"), 403, "forbidden")
    assert_error(me.get(f"/credentials/{other.credentials[0].id}/card.png"), 403, "forbidden")
    assert_error(me.get(f"/members/{created['id']}"), 403, "forbidden")
    assert_error(me.post(f"/members/{created['id']}/credentials"), 403, "forbidden")


def test_search_members(coord, make):
    a = make.member(name="王建国", category="veteran")
    make.member(name="李秀英", category="family")
    card = a.credentials[0].card_no
    assert [m["id"] for m in coord.get("/members?q=建国").get_json()["items"]] == [a.id]
    assert coord.get(f"/members?q={card[:4]} {card[4:8]}").get_json()["total"] >= 1
    assert coord.get("/members?category=family").get_json()["total"] == 1
    # the other member may match the same four digits in a phone or card number, and come first
    assert a.id in [m["id"] for m in coord.get(f"/members?q={a.id_last4}").get_json()["items"]]
    assert_error(coord.get("/members?page=0"), 422, "validation_error")


def test_member_username_taken_by_a_shop(coord, api, make):
    created = coord.post("/members", json=body()).get_json()
    make.user("owner", username=f"m{created['id']}", shop=make.shop(owner=False))
    data = api.post("/auth/activate", json={"activation_url": created["activation_url"]}).get_json()
    assert data["user"]["username"].startswith(f"m{created['id']}-") and data["user"]["role"] == "member"


def test_update_member_extends_expiry(coord, make, app):
    member = make.member()
    token = tokens.card_token(member.credentials[0])
    later = (local_date(utcnow()) + timedelta(days=900)).isoformat()
    response = coord.patch(f"/members/{member.id}", json={"expires_on": later, "phone": ""})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["expires_on"] == later and data["phone"] is None
    assert_error(coord.patch(f"/members/{member.id}", json={"expires_on": "2001-01-01"}), 422, "validation_error")
    assert_error(coord.patch(f"/members/{member.id}", json={"category": "x"}), 422, "validation_error")
    assert_error(coord.patch("/members/999", json={}), 404, "not_found")
    entry = db.session.query(AuditEntry).filter_by(action="member.update").one()
    assert entry.detail["fields"] == ["expires_on", "phone"]
    with app.test_request_context():  # the card keeps working, now until the new date
        assert resolve_code(token, utcnow() + timedelta(days=800)).member_id == member.id


def test_no_activation_link_for_a_member_without_a_valid_card(coord, make):
    member = make.member()
    credential = member.credentials[0]
    assert coord.post(f"/credentials/{credential.id}/revoke", json={"reason": "资格变更"}).status_code == 200
    assert_error(coord.post(f"/members/{member.id}/activation"), 409, "no_active_credential")


def test_a_member_cannot_expire_in_year_9999(api, make):
    from tests.factories import id_number_for

    coordinator = api.as_(make.coordinator())
    body = {"name": "张三", "category": "veteran", "id_number": id_number_for(901), "expires_on": "9999-12-31"}
    error = assert_error(coordinator.post("/members", json=body), 422, "validation_error")
    assert "2000" in error["fields"]["expires_on"][0]
    member = make.member(id_number=id_number_for(902))
    assert_error(coordinator.patch(f"/members/{member.id}", json={"expires_on": "9999-12-31"}), 422, "validation_error")
    head = "name,category,id_number,phone,expires_on\n"
    response = coordinator.post("/members/import", content_type="multipart/form-data", data={"file": (
        io.BytesIO(f"{head}李四,veteran,{id_number_for(903)},,9999-12-31\n".encode()), "m.csv")})
    assert "expires_on" in assert_error(response, 422, "invalid_rows")["rows"][0]["fields"]
