"""Coordinator pages, the activation page and the member's phone page, through the test client."""
import io
import re
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image

from baiye.clock import local_date, utcnow
from baiye.extensions import db
from verification import tokens
from verification.till.credentials import resolve_code
from verification.members.models import ActivationLink, Credential, Member

from ...factories import id_number_for
from ..helpers import draw_inline_qr


def sign_in(client, user, password="secret123"):
    response = client.post("/login", data={"username": user.username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.fixture
def coordinator(client, make):
    user = make.coordinator()
    sign_in(client, user)
    return user


def form(**overrides):
    data = {"name": "王建国", "category": "veteran", "id_number": id_number_for(701), "phone": "13900001111",
            "expires_on": (local_date(utcnow()) + timedelta(days=365)).isoformat(), "station": "城关服务站"}
    data.update(overrides)
    return data


def activation_path(html):
    match = re.search(r'href="https://yj\.example\.cn(/activate/[A-Za-z0-9_-]+)"', html)
    assert match, "activation link not shown"
    return match.group(1)


def test_enrol_page_shows_the_activation_link_once(client, coordinator):
    assert client.get("/admin/members/new").status_code == 200
    response = client.post("/admin/members/new", data=form())
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "王建国" in page and "手机激活码" in page
    assert 'src="data:image/svg+xml;base64,' in page
    path = activation_path(page)
    assert db.session.query(ActivationLink).count() == 1
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert path not in again  # shown once: only its hash is stored


def test_enrol_page_errors_beside_fields(client, coordinator, make):
    make.member(id_number=id_number_for(702))
    response = client.post("/admin/members/new", data=form(id_number=id_number_for(702)))
    assert response.status_code == 422
    assert "已登记过" in response.get_data(as_text=True)
    number = id_number_for(703)
    response = client.post("/admin/members/new", data=form(id_number=number[:-1] + ("1" if number[-1] != "1" else "2"),
                                                           name=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "校验位" in page and 'id="err-name"' in page
    assert db.session.query(Member).count() == 1


def test_member_list_search_and_detail(client, coordinator, make):
    a = make.member(name="王建国")
    make.member(name="李秀英", category="family")
    page = client.get("/admin/members?q=建国").get_data(as_text=True)
    assert "王建国" in page and "李秀英" not in page
    assert "李秀英" in client.get("/admin/members?category=family").get_data(as_text=True)
    detail = client.get(f"/admin/members/{a.id}").get_data(as_text=True)
    assert tokens.format_card_no(a.credentials[0].card_no) in detail
    assert "身份证" in detail and a.id_last4 in detail


def test_reissue_revoke_and_new_link(client, coordinator, make):
    member = make.member()
    first = member.credentials[0]
    assert client.post(f"/admin/members/{member.id}/reissue").status_code == 302
    db.session.expire_all()
    assert db.session.get(Credential, first.id).status == "revoked"
    current = db.session.query(Credential).filter_by(member_id=member.id, status="active").one()
    response = client.post(f"/admin/credentials/{current.id}/revoke", data={"reason": ""})
    assert response.status_code == 422 and "请填写" in response.get_data(as_text=True)
    response = client.post(f"/admin/credentials/{current.id}/revoke", data={"reason": "证件遗失"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Credential, current.id).status == "revoked"
    response = client.post(f"/admin/members/{member.id}/activation")  # no valid card: a phone would show it revoked
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "没有有效的优待证" in page and "/activate/" not in page and "生成手机激活码" not in page
    client.post(f"/admin/members/{member.id}/reissue")
    response = client.post(f"/admin/members/{member.id}/activation")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert activation_path(page)


def test_import_page_shows_bad_rows(client, coordinator):
    content = ("name,category,id_number,phone,expires_on\n"
               f"张三,veteran,{id_number_for(801)},13900000000,2099-01-01\n"
               f"李四,nobody,{id_number_for(802)},,2099-01-01\n").encode()
    response = client.post("/admin/members/import", data={"file": (io.BytesIO(content), "m.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "bad-rows" in page and ">3<" in page and "category" in page
    assert db.session.query(Member).count() == 0
    good = content.decode().splitlines()[:2]
    response = client.post("/admin/members/import", data={"file": (io.BytesIO("\n".join(good).encode()), "m.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and "imported=" in response.headers["Location"]
    assert db.session.query(Member).count() == 1
    response = client.post("/admin/members/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422


def test_printing_cards_is_a_chosen_audited_act(client, coordinator, make):
    from baiye.audit import AuditEntry

    members = [make.member(name=f"成员{i}", category="veteran" if i < 11 else "family") for i in range(12)]
    nothing = client.get("/admin/members/print").get_data(as_text=True)
    assert 'class="id-card"' not in nothing and "请先在名单中勾选" in nothing  # never every member by default
    listing = client.get("/admin/members").get_data(as_text=True)
    assert listing.count('name="ids"') == 12 and "打印勾选的卡片" in listing
    members[0].credentials[0].live_form = "phone"
    db.session.commit()
    confirm = client.get(f"/admin/members/print?ids={members[0].id}&ids={members[1].id}").get_data(as_text=True)
    assert "将打印 2 张" in confirm and "手机码随即停用" in confirm
    assert client.get("/admin/members/print?ids=x").status_code == 400
    sheet = client.post(f"/admin/members/print?ids={members[0].id},{members[1].id}").get_data(as_text=True)
    assert sheet.count('class="id-card"') == 2 and "成*0" in sheet and sheet.count("<svg") == 2
    assert "/api/v1/credentials/" not in sheet  # every QR inline: one request for the sheet
    db.session.expire_all()
    assert members[0].credentials[0].live_form == "card"  # the printed card is now the live form
    printed = db.session.query(AuditEntry).filter_by(action="credential.print").all()
    assert len(printed) == 2
    assert {(e.actor_id, e.target_type, e.target_id, e.detail["member_id"], e.detail["previous_form"])
            for e in printed} == {(coordinator.id, "credential", m.credentials[0].id, m.id, form)
                                  for m, form in ((members[0], "phone"), (members[1], "card"))}
    # a category, and an import's batch (an id range)
    by_category = client.post("/admin/members/print?category=family").get_data(as_text=True)
    assert by_category.count('class="id-card"') == 1
    batch = client.post(f"/admin/members/print?from={members[2].id}&to={members[11].id}").get_data(as_text=True)
    assert batch.count('class="id-card"') == 10 and batch.count('class="sheet"') == 1
    # the QR on the sheet is the card's own code, and it verifies
    from verification.till.credentials import resolve_code

    svg = re.search(r"<svg.*?</svg>", sheet, re.S).group(0)
    text = zxingcpp.read_barcodes(draw_inline_qr(svg))[0].text
    assert resolve_code(text, utcnow()).member_id == members[0].id


def test_a_sheet_of_300_cards_opens_in_under_a_second(client, coordinator, make, app):
    import gc
    import time

    from verification import tokens as t
    from verification.members.models import Credential

    first = make.member(name="批次甲")
    ids = [first.id]
    db.session.add_all([Member(name=f"批次{i}", category="veteran", expires_on=first.expires_on) for i in range(299)])
    db.session.flush()
    for member in db.session.query(Member).filter(Member.id != first.id):
        db.session.add(Credential(member=member, public_id=t.new_public_id(), card_no=t.new_card_no(), serial=1))
        ids.append(member.id)
    db.session.commit()
    # CPU time of this process (the test client serves in it): wall time on a shared 2-core machine measures
    # the neighbours too. And measured as a worker serves it: a worker keeps what it holds before its first request
    # out of the collector's full passes (gunicorn.conf.py, post_worker_init), and so does this test with what the
    # suite holds by now; a full pass over that (half a million objects late in a run) took 0.5 s inside this
    # request, more than the page itself.
    gc.collect()
    gc.freeze()
    try:
        started = time.process_time()
        response = client.post(f"/admin/members/print?from={min(ids)}&to={max(ids)}")
        elapsed = time.process_time() - started
    finally:
        gc.unfreeze()
    page = response.get_data(as_text=True)
    assert page.count('class="id-card"') == 300 and page.count('class="sheet"') == 30
    assert elapsed < 1.0, elapsed


def test_shops_cannot_open_member_pages(client, make):
    shop = make.shop()
    for user in (shop.owner, make.cashier(shop)):
        sign_in(client, user)
        member = make.member()
        for path in ("/admin/members", "/admin/members/new", f"/admin/members/{member.id}", "/admin/members/import",
                     "/admin/members/print", "/me", "/me/card", "/me/code.svg"):
            assert client.get(path).status_code == 403, path
        assert client.post(f"/admin/members/{member.id}/reissue").status_code == 403
        client.post("/logout")
    assert client.get("/admin/members").status_code == 302  # anonymous: to the sign-in page


def test_activation_page_get_changes_nothing_post_signs_in(client, coordinator):
    response = client.post("/admin/members/new", data=form())
    path = activation_path(client.get(response.headers["Location"]).get_data(as_text=True))
    client.post("/logout")
    page = client.get(path)
    assert page.status_code == 200 and "王*国" in page.get_data(as_text=True)
    assert "王建国" not in page.get_data(as_text=True)
    assert db.session.query(ActivationLink).one().used_at is None  # a pre-fetch uses nothing
    response = client.post(path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/me")
    assert "remember_token" in response.headers.get("Set-Cookie", "") or any(
        "remember_token" in h for h in response.headers.getlist("Set-Cookie"))
    me = client.get("/me")
    html = me.get_data(as_text=True)
    assert me.status_code == 200 and "王*国" in html and "退役军人" in html and "member-code.js" in html
    svg = client.get("/me/code.svg")
    assert svg.status_code == 200 and svg.headers["Cache-Control"] == "no-store"
    # Nothing static on the phone: no card page, no card number (its last four only), no card image.
    assert "/me/card" not in html and "card.png" not in html and "可保存打印" not in html
    member = db.session.query(Member).filter_by(name="王建国").one()
    credential = member.credentials[0]
    assert credential.card_no not in html and tokens.format_card_no(credential.card_no) not in html
    assert credential.card_no[-4:] in html and "手机动态码" in html
    assert client.get("/me/card").status_code == 302
    assert client.get(f"/api/v1/credentials/{credential.id}/card.png").status_code == 403
    code = client.get("/api/v1/me/code").get_json()
    assert code["digits_display"] in html or len(code["digits"]) == 12
    assert resolve_code(code["qr_url"], utcnow()).member.name == "王建国"
    # used: the page says so and does not sign anyone in
    other = client.application.test_client()
    used = other.get(path)
    assert used.status_code == 409 and "已使用" in used.get_data(as_text=True)
    assert other.get("/activate/not-a-real-token").status_code == 404


def test_member_card_png_decodes_to_the_card_url(client, coordinator, make):
    member = make.member()
    credential = member.credentials[0]
    card = client.get(f"/api/v1/credentials/{credential.id}/card").get_json()
    png = client.get(f"/api/v1/credentials/{credential.id}/card.png")
    image = Image.open(io.BytesIO(png.data))
    assert image.size == (1011, 638)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [card["qr_url"]]


def test_edit_member_page(client, coordinator, make):
    member = make.member(name="王建国")
    page = client.get(f"/admin/members/{member.id}/edit").get_data(as_text=True)
    assert 'value="王建国"' in page and "id_number" not in page
    later = (local_date(utcnow()) + timedelta(days=800)).isoformat()
    response = client.post(f"/admin/members/{member.id}/edit",
                           data={"name": "王建国", "category": "family", "phone": "", "expires_on": later})
    assert response.status_code == 302
    db.session.expire_all()
    member = db.session.get(Member, member.id)
    assert member.category == "family" and member.expires_on.isoformat() == later and member.phone is None
    response = client.post(f"/admin/members/{member.id}/edit", data={"name": "", "category": "family"})
    assert response.status_code == 422


def test_pages_render_in_english(client, coordinator, make):
    member = make.member()
    for path in ("/admin/members", "/admin/members/new", "/admin/members/import", f"/admin/members/{member.id}",
                 "/admin/members/print", f"/admin/members/{member.id}/edit"):
        assert client.get(path + ("&" if "?" in path else "?") + "lang=en").status_code == 200, path


def test_activating_a_new_phone_signs_the_old_one_out(client, coordinator):
    """The link binds the phone it is used on: the phone it bound before loses its session and its
    remember-me cookie, and is told why once, while the new phone and the coordinator stay signed in."""
    response = client.post("/admin/members/new", data=form())
    detail = response.headers["Location"]
    first = activation_path(client.get(detail).get_data(as_text=True))
    app = client.application
    old_phone, switched_off, new_phone = app.test_client(), app.test_client(), app.test_client()
    assert old_phone.post(first).status_code == 302
    assert old_phone.get("/me").status_code == 200
    # the same phone after a restart: no session cookie, only the remember-me cookie
    switched_off.set_cookie("remember_token", old_phone.get_cookie("remember_token").value)
    assert switched_off.get("/me").status_code == 200

    member_id = int(detail.rstrip("/").rsplit("/", 1)[1])
    assert client.post(f"/admin/members/{member_id}/activation").status_code == 302
    second = activation_path(client.get(detail).get_data(as_text=True))
    assert new_phone.post(second).status_code == 302

    notice = "您的优待码已在另一部手机上启用"
    api_call = old_phone.get("/api/v1/me/code")  # the page's script asks first, with both cookies
    assert api_call.status_code == 401
    assert any(c.startswith("remember_token=;") for c in api_call.headers.getlist("Set-Cookie"))
    signed_out = old_phone.get("/me")
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]
    assert notice in old_phone.get(signed_out.headers["Location"]).get_data(as_text=True)
    assert notice not in old_phone.get("/login").get_data(as_text=True)  # said once

    signed_out = switched_off.get("/me")
    assert signed_out.status_code == 302
    assert any(c.startswith("remember_token=;") for c in signed_out.headers.getlist("Set-Cookie"))
    assert notice in switched_off.get(signed_out.headers["Location"]).get_data(as_text=True)

    assert new_phone.get("/me").status_code == 200 and new_phone.get("/api/v1/me/code").status_code == 200
    assert client.get(detail).status_code == 200


def test_import_report_uses_the_files_headings_and_names_the_person(client, coordinator):
    content = ("姓名,类别,身份证号,手机号,有效期至\n"
               f"张三,退役,{id_number_for(811)},13900000000,2099-01-01\n"
               f"李四,退伍,{id_number_for(812)},,2099-01-01\n").encode()
    response = client.post("/admin/members/import", data={"file": (io.BytesIO(content), "m.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    table = page[page.index('class="table stack bad-rows"'):]
    assert '<td data-label="姓名">李四</td>' in table and '<td data-label="列">类别</td>' in table
    assert '<td data-label="填写的内容" class="bad-value">退伍</td>' in table
    assert "可填：现役军人（现役）、军属、退役军人（退役）、烈士遗属（烈属）" in table
    assert "张三" not in table  # 退役 is a category


def test_import_names_a_missing_column_as_the_template_heads_it(client, coordinator):
    content = f"姓名,身份证号,手机号,有效期至\n张三,{id_number_for(813)},13900000000,2099-01-01\n".encode()
    response = client.post("/admin/members/import", data={"file": (io.BytesIO(content), "m.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "第 1 行的表头缺少：类别（category）。表头应为：姓名、类别、身份证号、手机号、有效期至（可下载模板对照）。" in page


def test_import_page_offers_the_template(client, coordinator):
    page = client.get("/admin/members/import").get_data(as_text=True)
    assert "/admin/members/import/template.xlsx" in page and "/admin/members/import/template.csv" in page
    response = client.get("/admin/members/import/template.csv")
    assert response.mimetype == "text/csv" and "members-template.csv" in response.headers["Content-Disposition"]
    header, example = response.data.decode("utf-8-sig").splitlines()
    assert header == "姓名,类别,身份证号,手机号,有效期至" and example.startswith("张三（示例）,退役军人,")
    assert client.get("/admin/members/import/template.xlsx").status_code == 200


def test_member_page_lists_nearby_shops_for_the_members_category(client, api, make):
    from urllib.parse import urlparse

    far = make.shop(name="远店", lat=30.2841, lng=120.1551)
    near = make.shop(name="近店", lat=30.2741, lng=120.1561)
    other = make.shop(name="只给退役军人", lat=30.2741, lng=120.1551)
    for shop in (far, near):
        make.offer(shop, title="军属九折", categories="family")
    make.offer(other, title="退役军人九五折", categories="veteran", value=5)
    enrolled = api.as_(make.coordinator()).post("/members", json={
        "name": "李秀英", "category": "family", "id_number": id_number_for(4242), "phone": "13900139000",
        "expires_on": (local_date(utcnow()) + timedelta(days=365)).isoformat()}).get_json()
    client.post(urlparse(enrolled["activation_url"]).path)
    page = client.get("/me").get_data(as_text=True)
    assert "按距离排序（使用我的位置）" in page and "js/location.js" in page and "距您" not in page
    page = client.get("/me?near=30.2741,120.1551").get_data(as_text=True)
    nearby = page[page.index('id="nearby"'):]
    assert nearby.index("近店") < nearby.index("远店") and "只给退役军人" not in nearby
    assert "距您 96 米" in nearby and "一键导航" in nearby and "tel:" in nearby
    assert "/shops?category=family&amp;near=30.2741,120.1551" in page  # the directory, by the same position
