"""credential_form from the till to the statistics (issue 16): each of the four forms in the till's answers, on
each redemption (the API's list, the shop's CSV), in the log of refused scans, and counted in GET /stats/summary
(by_form, for all shops and for one) and the dashboard's table of forms by shop. A voided redemption counts nowhere."""
import csv
import io
import re

from baiye.clock import utcnow
from baiye.extensions import db
from verification import tokens
from verification.till.models import ScanLog

from .test_pages import sign_in

FORMS = ("phone_qr", "phone_digits", "card_qr", "card_number")


def test_each_form_is_recorded_from_the_till_to_the_statistics(api, client, make, till, clock):
    now = clock.at(utcnow())  # the phone's codes are made and checked at one instant
    card = make.credential(name="王卡片")  # carries the printed card (the default live form)
    phone = make.credential(name="李手机", live_form="phone")
    codes = {"phone_qr": tokens.code_url(tokens.phone_token(phone, now)),
             "phone_digits": tokens.format_digits(tokens.phone_digits(phone, now)),
             "card_qr": tokens.code_url(tokens.card_token(card)),
             "card_number": tokens.format_card_no(card.card_no)}
    cashier = api.as_(till.cashier)
    ids = {}
    for form, code in codes.items():
        verified = cashier.post("/verify", json={"code": code}).get_json()
        assert verified["valid"] is True and verified["credential_form"] == form, verified
        body = {"code": code, "offer_id": till.offer.id, "bill": 10000, "idempotency_key": form}
        response = cashier.post("/redemptions", json=body)
        assert response.status_code == 201 and response.get_json()["credential_form"] == form, response.get_json()
        ids[form] = response.get_json()["id"]
        replay = cashier.post("/redemptions", json=body)  # the same key: the first redemption, its form included
        assert replay.status_code == 200 and replay.get_json()["credential_form"] == form

    # A refused scan keeps the form it was in: a typed phone number that matches nothing now.
    wrong = tokens.phone_digits(phone, now)
    wrong = wrong[:5] + f"{(int(wrong[5:]) + 1) % 10**7:07d}"
    refused = cashier.post("/verify", json={"code": wrong}).get_json()
    assert refused["valid"] is False and refused["credential_form"] == "phone_digits"
    assert db.session.query(ScanLog).one().credential_form == "phone_digits"

    # Another shop: two typed card numbers, one of them voided.
    other_shop = make.shop(name="第二家小店")
    other_offer = make.offer(other_shop)
    other = api.as_(make.cashier(other_shop))
    kept, voided = (other.post("/redemptions", json={"code": card.card_no, "offer_id": other_offer.id,
                                                     "bill": 5000}).get_json() for _ in range(2))
    assert kept["credential_form"] == voided["credential_form"] == "card_number"
    assert other.post(f"/redemptions/{voided['id']}/void", json={"reason": "误操作"}).status_code == 200

    # On each redemption: the API's list ...
    listed = {item["id"]: item["credential_form"] for item in cashier.get("/redemptions").get_json()["items"]}
    assert listed == {ids[form]: form for form in FORMS}
    # ... and the statistics: the summary, and by shop.
    coordinator = make.coordinator()
    stats = api.as_(coordinator)
    summary = stats.get("/stats/summary").get_json()
    assert summary["redemptions"] == 5
    assert summary["by_form"] == {"phone_qr": 1, "phone_digits": 1, "card_qr": 1, "card_number": 2}
    def shop_forms(shop):
        return stats.get("/stats/summary", query_string={"shop_id": shop.id}).get_json()["by_form"]

    assert shop_forms(till.shop) == dict.fromkeys(FORMS, 1)
    assert shop_forms(other_shop) == {"phone_qr": 0, "phone_digits": 0, "card_qr": 0, "card_number": 1}

    # The shop's CSV: a column saying how the member was identified, in words.
    sign_in(client, till.cashier)
    export = list(csv.reader(io.StringIO(client.get("/shop/redemptions.csv").data.decode("utf-8-sig"))))
    assert export[0][-1] == "出示方式"
    by_id = {int(row[0]): row[-1] for row in export[1:]}
    assert by_id == {ids["phone_qr"]: "手机动态码", ids["phone_digits"]: "手机数字（手输）",
                     ids["card_qr"]: "实体卡二维码", ids["card_number"]: "卡号（手输）"}
    client.post("/logout")

    # The dashboard: the share of each form, for all shops and shop by shop (the typed-heavy shop first).
    sign_in(client, coordinator)
    page = client.get("/admin/stats").get_data(as_text=True)
    section = re.search(r'<section class="card" id="forms">(.*?)</section>', page, re.S).group(1)
    cells = [re.sub(r"<[^>]+>|\s+", " ", row).split() for row in re.findall(r"<tr[^>]*>(.*?)</tr>", section, re.S)[1:]]
    assert [row[0] for row in cells] == ["全部", "第二家小店", till.shop.name]
    assert cells[0] == ["全部", "5", "1", "20%", "1", "20%", "1", "20%", "2", "40%", "60%"]
    assert cells[1] == ["第二家小店", "1", "0", "0%", "0", "0%", "0", "0%", "1", "100%", "100%"]
    assert cells[2] == [till.shop.name, "4", "1", "25%", "1", "25%", "1", "25%", "1", "25%", "50%"]
