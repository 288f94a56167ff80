"""Bad input found by a review (each once reached a 500, changed data it should not have, or was taken as
something else): every one now gets a clear refusal and changes nothing."""
import csv
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from baiye.extensions import db
from baiye.validators import Text
from marshmallow import Schema, ValidationError, validate
from shops.models import Offer, Shop

from ..factories import id_number_for, licence_no


def sign_in(client, user):
    assert client.post("/login", data={"username": user.username, "password": "secret123"}).status_code == 302


class NameSchema(Schema):
    name = Text(required=True, validate=validate.Length(min=2, max=5))
    note = Text(load_default=None, allow_none=True, validate=validate.Length(max=3))


@pytest.mark.parametrize("data, loaded", [
    ({"name": "  老兵 "}, {"name": "老兵", "note": None}),
    ({"name": "老兵", "note": "   "}, {"name": "老兵", "note": None}),
    ({"name": "老兵", "note": "一\n二"}, {"name": "老兵", "note": "一\n二"}),
])
def test_text_is_trimmed_and_blank_is_none(app, data, loaded):
    assert NameSchema().load(data) == loaded


@pytest.mark.parametrize("data, field", [
    ({"name": "     "}, "name"), ({"name": "老\x0b兵"}, "name"), ({"name": "老兵", "note": "\x00"}, "note"),
    ({"name": "老兵", "note": "一二三四"}, "note"),
])
def test_text_refuses_spaces_alone_control_characters_and_length_after_trimming(app, data, field):
    with app.test_request_context():
        with pytest.raises(ValidationError) as err:
            NameSchema().load(data)
    assert list(err.value.messages) == [field]


# --- the till page and the offer form --------------------------------------------------------------------

@pytest.mark.parametrize("bill", ["NaN", "Infinity", "-Infinity", "sNaN", "1e999999999"])
def test_till_page_refuses_a_bill_that_is_no_amount(client, till, bill):
    sign_in(client, till.cashier)
    response = client.post(f"/v/{till.card.card_no}", data={"offer_id": till.offer.id, "bill": bill,
                                                             "idempotency_key": "k"})
    assert response.status_code == 422
    assert "金额" in response.get_data(as_text=True)
    assert db.session.execute(db.text("SELECT count(*) FROM redemption")).scalar() == 0


@pytest.mark.parametrize("zhe", ["nan", "inf", "-inf", "1e400"])
def test_offer_form_refuses_a_discount_that_is_no_number(client, make, zhe):
    shop = make.shop()
    sign_in(client, shop.owner)
    response = client.post("/shop/offers/new", data={"title": "老兵专享", "kind": "percent_off", "zhe": zhe,
                                                      "starts_on": "2026-01-01"})
    assert response.status_code == 422
    assert db.session.query(Offer).count() == 0


def test_editing_a_paused_offer_leaves_it_paused(client, make):
    shop = make.shop()
    offer = make.offer(shop)
    sign_in(client, shop.owner)
    client.post(f"/shop/offers/{offer.id}/deactivate")
    response = client.post(f"/shop/offers/{offer.id}/edit", data={
        "title": "改个字", "kind": "percent_off", "zhe": "9", "starts_on": offer.starts_on.isoformat()})
    assert response.status_code == 302
    db.session.expire_all()
    offer = db.session.get(Offer, offer.id)
    assert (offer.title, offer.is_active) == ("改个字", False)


def test_a_replayed_key_is_answered_whatever_its_bill(api, till):
    cashier = api.as_(till.cashier)
    body = {"code": till.card.card_no, "offer_id": till.offer.id, "bill": 1000, "idempotency_key": "K"}
    first = cashier.post("/redemptions", json=body)
    again = cashier.post("/redemptions", json=dict(body, bill=20_000_000))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert cashier.post("/redemptions", json=dict(body, bill=20_000_000, idempotency_key="L")).status_code == 422


# --- text a person types -----------------------------------------------------------------------------------

def registration(**changes):
    return {"name": "老兵面馆", "industry": "catering", "street": "dongcheng", "address": "东城街道5号",
            "phone": "13800138000", "licence_no": licence_no(),
            "owner": {"username": "laobing", "password": "dumpling88"}, **changes}


@pytest.mark.parametrize("changes, field", [
    ({"name": "    "}, "name"), ({"address": "   "}, "address"), ({"name": "老兵\x0b面馆"}, "name"),
    ({"description": "好\x1b[31m"}, "description"),
])
def test_api_registration_refuses_blank_text_and_control_characters(api, changes, field):
    response = api.post("/shops", json=registration(**changes))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert db.session.query(Shop).count() == 0


def test_api_offer_title_of_spaces_is_refused(api, make):
    shop = make.shop()
    response = api.as_(shop.owner).post(f"/shops/{shop.id}/offers", json={"title": "   ", "kind": "gift",
                                                                            "starts_on": "2026-01-01"})
    assert response.status_code == 422
    assert "title" in response.get_json()["error"]["fields"]


def test_page_reasons_have_the_api_limit(client, make):
    shop = make.shop()
    sign_in(client, make.coordinator())
    # A refusal goes back to the shop's page (an address that answers GET), the reason's limit flashed there.
    response = client.post(f"/admin/shops/{shop.id}/suspend", data={"reason": "长" * 501}, follow_redirects=True)
    assert response.request.path == f"/admin/shops/{shop.id}" and "500" in response.get_data(as_text=True)
    response = client.post(f"/admin/shops/{shop.id}/suspend", data={"reason": "   "})
    assert response.headers["Location"] == f"/admin/shops/{shop.id}#decision"
    db.session.expire_all()
    assert db.session.get(Shop, shop.id).status == "approved"
    assert client.post(f"/admin/shops/{shop.id}/suspend", data={"reason": " 暂停整改 "}).status_code == 302
    db.session.expire_all()
    assert (db.session.get(Shop, shop.id).status, db.session.get(Shop, shop.id).status_reason) == ("suspended",
                                                                                                  "暂停整改")


def test_multipart_page_form_with_nul_is_refused(client):
    response = client.post("/shops/register", data={"name": "军嫂\x00饺子馆"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert db.session.query(Shop).count() == 0


def test_directory_search_takes_wildcards_literally(api, make):
    make.shop(name="老兵面馆")
    make.shop(name="惠民超市")
    assert api.get("/shops", query_string={"q": "%"}).get_json()["total"] == 0
    assert api.get("/shops", query_string={"q": "_"}).get_json()["total"] == 0
    assert api.get("/shops", query_string={"q": "面馆"}).get_json()["total"] == 1


# --- exports ---------------------------------------------------------------------------------------------

def test_xlsx_export_keeps_a_name_as_text_never_a_formula(api, make):
    make.shop(name='=HYPERLINK("http://evil.example","点我")')
    make.shop(name="老兵\x0b面馆")  # stored before control characters were refused
    response = api.as_(make.coordinator()).get("/stats/inactive.xlsx")
    assert response.status_code == 200
    cells = [cell for row in load_workbook(io.BytesIO(response.get_data())).active.iter_rows() for cell in row]
    names = {cell.value: cell.data_type for cell in cells if isinstance(cell.value, str)}
    assert names['=HYPERLINK("http://evil.example","点我")'] == "s"
    assert "老兵面馆" in names


def test_csv_export_defuses_formulas(api, make):
    make.shop(name="=1+1")
    text = api.as_(make.coordinator()).get("/stats/inactive.csv").get_data().decode("utf-8-sig")
    assert "'=1+1" in [cell for row in csv.reader(io.StringIO(text)) for cell in row]


# --- member import ---------------------------------------------------------------------------------------

HEAD = "name,category,id_number,phone,expires_on\n"


def upload(api, make, body, name):
    return api.as_(make.coordinator()).post("/members/import", data={"file": (io.BytesIO(body), name)},
                                            content_type="multipart/form-data")


def damaged_xlsx():
    book = Workbook()
    book.active.append(["name", "category", "id_number", "phone", "expires_on"])
    book.active.append(["张三", "veteran", id_number_for(1), "13900139000", "2030-01-01"])
    whole, out = io.BytesIO(), io.BytesIO()
    book.save(whole)
    with zipfile.ZipFile(io.BytesIO(whole.getvalue())) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, data[:len(data) // 2] if item.filename == "xl/worksheets/sheet1.xml" else data)
    return out.getvalue()


@pytest.mark.parametrize("body, name", [
    (damaged_xlsx(), "m.xlsx"),
    ((HEAD + f"{'张' * 200_000},veteran,{id_number_for(1)},13900139000,2030-01-01\n").encode(), "m.csv"),
])
def test_import_of_an_unreadable_file_is_refused(api, make, body, name):
    response = upload(api, make, body, name)
    assert response.status_code == 422
    assert "file" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("row", [
    f"张三,veteran,{id_number_for(1)},13900139000,{'1' * 5000}-01-01",
    f"张\x00三,veteran,{id_number_for(1)},13900139000,2030-01-01",
])
def test_import_refuses_a_bad_row_with_its_number(api, make, row):
    response = upload(api, make, (HEAD + row + "\n").encode(), "m.csv")
    assert response.status_code == 422
    assert "2" in str(response.get_json()["error"])


# --- query strings ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["to=9999-12-31", "from=0001-01-01", "target_id=99999999999999999999"])
def test_audit_page_refuses_out_of_range_filters(client, make, query):
    sign_in(client, make.coordinator())
    assert client.get("/admin/audit?" + query).status_code == 422


@pytest.mark.parametrize("query", ["from=99999999999999999999", "to=99999999999999999999",
                                   "ids=1,99999999999999999999", "ids=-1"])
def test_printing_cards_refuses_ids_that_cannot_be_members(client, make, query):
    sign_in(client, make.coordinator())
    assert client.get("/admin/members/print?" + query).status_code == 400


@pytest.mark.parametrize("path", ["/shop/redemptions.csv?month=9999-12", "/shop/redemptions.csv?from=0001-01-01",
                                  "/shop/today?day=9999-12-31", "/shop/history?month=0001-01"])
def test_shop_pages_take_an_out_of_range_day_as_the_default(client, make, path):
    shop = make.shop()
    sign_in(client, shop.owner)
    assert client.get(path).status_code == 200


def test_day_by_day_breakdown_is_capped_with_one_end_open(api, make, till):
    api.as_(till.cashier).post("/redemptions", json={"code": till.card.card_no, "offer_id": till.offer.id,
                                                      "bill": 1000, "idempotency_key": "a"})
    coordinator = api.as_(make.coordinator())
    for query in ("by=day&to=2099-12-31", "by=day&from=2000-01-01", "by=day&from=2000-01-01&to=2099-12-31"):
        response = coordinator.get("/stats/breakdown?" + query)
        assert response.status_code == 422, query
        assert "from" in response.get_json()["error"]["fields"]
    assert coordinator.get("/stats/breakdown?by=day").status_code == 200
    assert coordinator.get("/stats/breakdown?by=month&from=2000-01-01").status_code == 200


def test_api_field_errors_are_lists_even_from_lazy_messages(api, make):
    response = api.as_(make.coordinator()).get("/stats/summary?from=not-a-date&street=nowhere")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"from": ["日期格式应为 YYYY-MM-DD。"], "street": ["未知的街道/乡镇。"]}


def test_void_page_has_the_api_rules_for_a_reason(client, api, till):
    logged = api.as_(till.cashier).post("/redemptions", json={"code": till.card.card_no, "offer_id": till.offer.id,
                                                               "bill": 1000, "idempotency_key": "v"})
    sign_in(client, till.cashier)
    page = client.post(f"/shop/redemptions/{logged.get_json()['id']}/void", data={"reason": "输错\x07金额"},
                       follow_redirects=True).get_data(as_text=True)
    assert "控制字符" in page
    assert db.session.execute(db.text("SELECT voided_at FROM redemption")).scalar() is None


def test_import_takes_dates_in_full_width_digits(api, make):
    response = upload(api, make, (HEAD + f"张三,veteran,{id_number_for(1)},13900139000,２０９８/１２/３１\n").encode(),
                      "m.csv")
    assert response.status_code == 200, response.get_json()


# --- JSON bodies: refused once, for every route ------------------------------------------------------------

DEEP = b'{"code": ' + b"[" * 1000 + b"]" * 1000 + b"}"
LONE_SURROGATE = b'{"code": "\\udc00", "username": "\\udc00", "password": "x", "name": "\\udc00"}'
SURROGATE_KEY = b'{"\\ud800x": 1}'


def json_post(client, path, body, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(path, data=body, content_type="application/json", headers=headers)


@pytest.mark.parametrize("body", [DEEP, LONE_SURROGATE, SURROGATE_KEY], ids=["deep", "surrogate", "surrogate-key"])
@pytest.mark.parametrize("path, who", [
    ("/api/v1/auth/login", None), ("/api/v1/shops", None), ("/api/v1/verify", "cashier"),
    ("/api/v1/redemptions", "cashier"), ("/api/v1/members", "coordinator"),
])
def test_a_json_body_nested_too_deep_or_with_a_lone_surrogate_is_malformed(client, till, make, caplog, body, path,
                                                                          who):
    from baiye.accounts.services import issue_api_token

    user = {"cashier": till.cashier, "coordinator": make.coordinator() if who == "coordinator" else None}.get(who)
    token = issue_api_token(user) if user else None
    db.session.commit()
    counts = [db.session.execute(db.text(f"SELECT count(*) FROM {table}")).scalar()
              for table in ("shop", "member", "redemption")]
    response = json_post(client, path, body, token)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "malformed_body"
    assert counts == [db.session.execute(db.text(f"SELECT count(*) FROM {table}")).scalar()
                      for table in ("shop", "member", "redemption")]
    assert "Traceback" not in caplog.text and not [r for r in caplog.records if r.exc_info]


def test_a_lone_surrogate_in_a_redemptions_key_changes_nothing(client, till, caplog):
    from baiye.accounts.services import issue_api_token

    token = issue_api_token(till.cashier)
    db.session.commit()
    body = f'{{"code": "{till.card.card_no}", "offer_id": {till.offer.id}, "bill": 1000, "idempotency_key": "k\\udc00"}}'
    response = json_post(client, "/api/v1/redemptions", body.encode(), token)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "malformed_body"
    assert db.session.execute(db.text("SELECT count(*) FROM redemption")).scalar() == 0
    assert not [r for r in caplog.records if r.exc_info]


def test_escaped_surrogate_pairs_are_ordinary_text(api, till):
    """An emoji written as a JSON surrogate pair is one character, not a lone surrogate."""
    response = json_post(api.client, "/api/v1/verify", b'{"code": "\\ud83d\\ude00"}', api.as_(till.cashier).token)
    assert response.status_code == 200
    assert response.get_json()["valid"] is False


# --- bodies sent without a Content-Length -----------------------------------------------------------------

def chunked_post(client, path, body, content_type):
    """A POST as a server hands on a `Transfer-Encoding: chunked` body: no Content-Length, the input terminated."""
    return client.post(path, input_stream=io.BytesIO(body), content_type=content_type,
                       headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})


@pytest.mark.parametrize("path, content_type", [
    ("/api/v1/auth/login", "application/json"), ("/api/v1/shops", "application/json"),
    ("/login", "application/x-www-form-urlencoded"), ("/api/v1/members/import", "multipart/form-data; boundary=x"),
])
def test_a_chunked_body_past_the_limit_is_too_large_like_a_sized_one(client, path, content_type):
    response = chunked_post(client, path, b"{" + b" " * 20_000_000 + b"}", content_type)
    assert response.status_code == 413
    if path.startswith("/api/"):
        assert response.get_json()["error"]["code"] == "too_large"
    assert db.session.query(Shop).count() == 0


def test_a_chunked_body_within_the_limit_is_read_whole(app, client, make):
    make.coordinator(username="coord")
    body = b'{"username": "coord", "password": "secret123"}'
    app.config["MAX_CONTENT_LENGTH"] = len(body)  # exactly at the limit: the whole body, nothing past it
    response = chunked_post(client, "/api/v1/auth/login", body, "application/json")
    assert response.status_code == 200, response.get_json()


# --- what the OpenAPI document says is what is taken (issue 15) ------------------------------------------------

@pytest.mark.parametrize("check, value", [
    ("phone", "13８００１３８０００"),              # full-width digits are no phone number
    ("licence", "9155１０４６RJHTPQQFQR"),          # ... nor a licence (this one raised ValueError: a 500)
    ("licence", "9155104６RJHTPQQFQＲ"),
])
def test_identifiers_take_ascii_digits_only(app, check, value):
    from baiye.validators import check_licence, check_phone

    with app.test_request_context(), pytest.raises(ValidationError):
        {"phone": check_phone, "licence": check_licence}[check](value)


def test_resident_ids_take_ascii_digits_only():
    from verification.tokens import id_number_valid

    assert id_number_valid("11010519491231002X")
    assert not id_number_valid("１1010519491231002X")  # the same number with a full-width first digit


def test_a_digit_that_int_cannot_read_is_no_row_id():
    from baiye.validators import row_id_from_digits

    assert row_id_from_digits("²") is None and row_id_from_digits("12") == 12


@pytest.mark.parametrize("text", ["2030-1-5", "２０３０-01-05", "2030-01-05\n", " 2030-01-05", "1999-12-31", "2100-01-01"])
def test_days_are_yyyy_mm_dd_within_the_window(app, text):
    from marshmallow import Schema

    from baiye.validators import Day

    with app.test_request_context(), pytest.raises(ValidationError):
        Schema.from_dict({"day": Day()})().load({"day": text})


def test_text_counts_its_most_as_sent_and_refuses_control_characters_at_its_ends(app):
    with app.test_request_context():
        assert NameSchema().load({"name": "老兵", "note": "一二三"}) == {"name": "老兵", "note": "一二三"}
        for data in ({"name": "老兵", "note": "一二三 "}, {"name": "\x1c老兵"}):
            with pytest.raises(ValidationError):
                NameSchema().load(data)


def test_passwords_of_one_kind_are_ascii_digits_or_letters(app):
    from baiye.accounts.services import password_problems

    assert password_problems("12345678") and password_problems("abcdefgh")
    assert not password_problems("密码密码密码密码") and not password_problems("abcd1234")


def test_a_pattern_holds_to_the_whole_value_and_says_its_message(app, api):
    """baiye.validators.Pattern: `$` does not let a final line break through, and the message is the one given
    ({input} and {regex} filled in, as marshmallow's Regexp fills them), in the request's language."""
    from baiye.validators import Pattern

    check = Pattern(r"^[a-z]{3}$", error="{input!r} is not {regex}")
    assert check("abc") == "abc"
    with pytest.raises(ValidationError) as refused:
        check("abc\n")
    assert refused.value.messages == ["'abc\\n' is not ^[a-z]{3}$"]
    for username, language in (("laobing\n", "zh"), ("ab", "en")):
        body = registration(owner={"username": username, "password": "noodles2026"})
        response = api.post("/shops", json=body, headers={"Accept-Language": language})
        assert response.status_code == 422
        assert response.get_json()["error"]["fields"]["owner"]["username"] == [
            "用户名为3–32位字母、数字、下划线、点或横线。" if language == "zh"
            else "Username: 3–32 letters, digits, underscores, dots or hyphens."], response.get_json()
