"""Pages for the till: the scanner, the result of a scan (what a QR opens), receipts, today and history.

GET pages never change anything, not even the scan log: phones and chat apps pre-fetch links, and
a refused scan is recorded when a person submits it (the scanner's POST /scan/open, the API).
"""
import csv
import io
import secrets
from datetime import date, timedelta
from urllib.parse import quote

from flask import (Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from baiye.api import roles_required
from baiye.clock import FIRST_DAY, LAST_DAY, local_date, to_local, utcnow
from baiye.errors import DomainError, error_body
from baiye.extensions import db, limiter
from baiye.forms import attach_errors
from baiye.lists import category_label
from baiye.messages import localise
from reports.exports import csv_value

from ..tokens import FORM_LABELS
from . import operations, records
from .access import till_shop
from .decoding import decode_qr
from .api import verify_limits
from .schemas import VoidSchema
from .forms import CodeForm, PhotoForm, RedeemForm, VoidForm

bp = Blueprint("scan", __name__)

TOKEN_MAX = 512


PERIOD_WORDS = {"day": _l("每天"), "week": _l("每周"), "month": _l("每月"), "none": _l("活动期间")}


def offer_conditions(offer):
    """An offer's conditions in one line: minimum spend and limit (the member's category already fits)."""
    parts = []
    if offer.min_spend:
        parts.append(_("满¥%(m)s可用", m=f"{offer.min_spend / 100:.2f}"))
    if offer.limit_per_member:
        parts.append(_("%(p)s限%(n)d次", p=PERIOD_WORDS[offer.limit_period], n=offer.limit_per_member))
    return " · ".join(parts)


@bp.app_context_processor
def scan_helpers():
    return {"offer_conditions": offer_conditions}


def my_shop():
    shop = till_shop(current_user)
    if shop is None:
        raise DomainError("forbidden", _("只有商户店员可以使用此页面。"), 403)
    return shop


def token_of(text):
    """The path segment a scanned text should open under /v/: the token of our URL, or the text itself."""
    text = (text or "").strip()
    if "/v/" in text:
        text = text.split("/v/", 1)[1].split("?", 1)[0].split("#", 1)[0]
    text = text.strip("/ ")
    if not text or "/" in text or len(text) > TOKEN_MAX:
        return None
    return text


def open_result(text):
    """After a scan, photo or typed number: record a refusal (a person asked), then show the result page."""
    shop = my_shop()
    token = token_of(text)
    if shop.status == "approved":
        operations.verify_for_shop(shop, current_user, text or "", log=True)
    if token is None:
        return redirect(url_for("scan.result", token="-"))
    return redirect(url_for("scan.result", token=token))


@bp.get("/scan")
@roles_required("owner", "cashier")
def scan():
    return render_template("verification/scan.html", shop=my_shop(), code_form=CodeForm(), photo_form=PhotoForm(),
                           max_upload=upload_limit())


@bp.post("/scan/open")
@roles_required("owner", "cashier")
@verify_limits
def open_code():
    form = CodeForm()
    if not form.validate_on_submit() or not (form.code.data or "").strip():
        form.code.errors = list(form.code.errors) + [_("请输入卡号或扫描二维码。")]
        return render_template("verification/scan.html", shop=my_shop(), code_form=form, photo_form=PhotoForm(),
                               max_upload=upload_limit()), 422
    return open_result(form.code.data)


def upload_limit():
    return current_app.config.get("SCAN_UPLOAD_MAX_BYTES", 6 * 1024 * 1024)


def uploaded_image(field):
    """The uploaded file of a form field, refusing a missing or oversized one."""
    upload = request.files.get(field)
    if upload is None or not upload.stream.read(1):  # a form sent with no photo chosen has an empty part
        raise DomainError("validation_error", _("请先拍照或选择一张照片。"), 422,
                          fields={"photo": [_("请先拍照或选择一张照片。")]})
    upload.stream.seek(0)
    if (request.content_length or 0) > upload_limit():
        raise DomainError("too_large", _("照片太大（上限%(mb)d MB），请重拍或换一张。",
                                         mb=upload_limit() // (1024 * 1024)), 413)
    return upload.stream


@bp.post("/scan/decode")
@roles_required("owner", "cashier")
@limiter.limit("240 per minute", key_func=lambda: f"user:{current_user.id}")
def decode_frame():
    """A camera frame (or photo) posted by the scanner script: {"text": ... | null} as JSON."""
    my_shop()
    try:
        return jsonify(text=decode_qr(uploaded_image("image" if "image" in request.files else "photo")))
    except DomainError as err:
        return jsonify(error_body(err.code, err.message, err.fields)), err.status


@bp.post("/scan/photo")
@roles_required("owner", "cashier")
@verify_limits
def photo():
    """The no-camera path: a photo taken with the phone's own camera app, decoded here."""
    shop = my_shop()
    form = PhotoForm()
    status = 422
    if form.validate_on_submit():
        try:
            text = decode_qr(uploaded_image("photo"))
            if text:
                return open_result(text)
            form.photo.errors = [_("照片里没有找到二维码。请对准二维码、离近一些、光线充足再拍一次，或直接输入卡号。")]
        except DomainError as err:
            status = err.status
            form.photo.errors = [err.message]
    return render_template("verification/scan.html", shop=shop, code_form=CodeForm(), photo_form=form,
                           max_upload=upload_limit()), status


def redeem_form_for(verification, form=None):
    form = form or RedeemForm()
    form.offer_id.choices = [(use.offer.id, use.offer.title) for use in verification.offers]
    if request.method == "GET":
        form.idempotency_key.data = secrets.token_urlsafe(16)
        usable = [use for use in verification.offers if use.remaining != 0]
        if len(usable) == 1:
            form.offer_id.data = usable[0].offer.id
    return form


@bp.route("/v/<token>", methods=["GET", "POST"])
@verify_limits
def result(token):
    """What a member's QR opens. Shop staff see the verdict and log a redemption; anyone else a neutral page."""
    shop = till_shop(current_user) if current_user.is_authenticated else None
    if shop is None:
        if request.method == "POST":
            return redirect(url_for("accounts.login", next=request.path))
        return render_template("verification/result_public.html", token=token)
    if shop.status != "approved":
        return render_template("verification/result_closed.html", shop=shop), 409
    now = utcnow()
    verification = operations.verify_for_shop(shop, current_user, token, now=now, log=False)
    form = redeem_form_for(verification, RedeemForm() if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        redemption, status = try_redeem(shop, token, form, now)
        if redemption is not None:
            return redirect(url_for("scan.receipt", redemption_id=redemption.id))
        verification = operations.verify_for_shop(shop, current_user, token, now=now, log=False)
    elif request.method == "POST":
        status = 422
    return render_template("verification/result.html", shop=shop, token=token, v=verification, form=form,
                           category_label=category_label, retype=retype_form(verification, token)), status


def retype_form(verification, token):
    """For a refused number that was typed (or text that is no code at all): the number box again, holding what
    was typed, so the cashier corrects it where they read the refusal. None for anything else."""
    typed = verification.credential_form in ("card_number", "phone_digits") or verification.detail == "not_a_code"
    return CodeForm(code=token) if not verification.valid and typed else None


def try_redeem(shop, token, form, now):
    """Log the redemption the form asks for; (redemption, 200) or (None, status) with errors on the form."""
    if form.offer_id.data is None:
        form.offer_id.errors = [_("请选择一项优惠。")]
        return None, 422
    try:
        redemption, _created = operations.redeem(shop, current_user, token, form.offer_id.data, form.bill.fen,
                                                  form.idempotency_key.data, now=now)
        return redemption, 200
    except DomainError as err:
        db.session.rollback()
        attach_errors(form, err.fields or {"_": [err.message]})
        return None, err.status


@bp.get("/shop/redemptions/<int:redemption_id>")
@roles_required("owner", "cashier")
def receipt(redemption_id):
    redemption = records.get_redemption(redemption_id, current_user)
    return render_template("verification/result_receipt.html", r=redemption, form=VoidForm(),
                           can_void=operations.can_void(current_user, redemption),
                           deadline=operations.void_deadline(redemption))


@bp.post("/shop/redemptions/<int:redemption_id>/void")
@roles_required("owner", "cashier")
def void(redemption_id):
    form = VoidForm()
    target = request.form.get("back") if request.form.get("back") in ("receipt",) else "today"
    if form.validate_on_submit():
        try:
            reason = VoidSchema().load({"reason": form.reason.data})["reason"]  # the API's rules for a reason
            redemption = operations.void(redemption_id, current_user, reason)
            flash(_("已撤销这笔核销（优惠金额 ¥%(y)s），次数已退回。", y=f"{redemption.discount / 100:.2f}"), "success")
        except ValidationError as err:
            flash(localise(err.messages)["reason"][0], "error")
        except DomainError as err:
            db.session.rollback()
            if err.code == "not_found":
                raise
            flash(err.message if not err.fields else next(iter(err.fields.values()))[0], "error")
    if target == "receipt":
        return redirect(url_for("scan.receipt", redemption_id=redemption_id))
    return redirect(url_for("scan.today"))


def parse_day(text, default):
    """The day ?day=, ?from= or ?to= names; `default` when it names none between FIRST_DAY and LAST_DAY."""
    try:
        day = date.fromisoformat(text) if text else default
    except ValueError:
        return default
    return day if FIRST_DAY <= day <= LAST_DAY else default


def parse_month(text, default):
    return parse_day(f"{text}-01" if text else None, default)


def month_end(first):
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


@bp.get("/shop/today")
@roles_required("owner", "cashier")
def today():
    """The shop's redemptions of one day (today unless ?day=), with totals and void buttons in the window."""
    shop = my_shop()
    now = utcnow()
    this_day = local_date(now)
    day = parse_day(request.args.get("day"), this_day)
    items = records.shop_redemptions(shop.id, day, day)
    totals = records.shop_totals(shop.id, day, day)
    totals["people"] = len({r.member_id for r in items if not r.voided_at})
    return render_template("verification/today.html", shop=shop, day=day, is_today=day == this_day, items=items,
                           totals=totals, form=VoidForm(), voidable={r.id for r in items
                                                                     if operations.can_void(current_user, r, now)},
                           deadline=operations.void_deadline)


@bp.get("/shop/history")
@roles_required("owner", "cashier")
def history():
    """The shop's redemptions by month: one line per day, the month's totals, a CSV."""
    shop = my_shop()
    this_month = local_date(utcnow()).replace(day=1)
    month = min(parse_month(request.args.get("month"), this_month), this_month)
    end = month_end(month)
    first = records.first_day(shop.id)
    return render_template("verification/today_history.html", shop=shop, month=month,
                           days=records.shop_days(shop.id, month, end),
                           totals=records.shop_totals(shop.id, month, end),
                           prev=(month - timedelta(days=1)).replace(day=1) if first and first < month else None,
                           next=(end + timedelta(days=1)) if month < this_month else None)


@bp.get("/shop/redemptions.csv")
@roles_required("owner", "cashier")
def export():
    """The shop's own redemptions of a month (or ?from=&to=) as CSV, UTF-8 with a byte-order mark for Excel."""
    shop = my_shop()
    this_month = local_date(utcnow()).replace(day=1)
    month = parse_month(request.args.get("month"), this_month)
    date_from = parse_day(request.args.get("from"), month)
    date_to = parse_day(request.args.get("to"), month_end(month) if not request.args.get("from") else date_from)
    if date_to < date_from:
        date_from, date_to = date_to, date_from
    items = records.export_rows(shop, current_user, date_from, date_to)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([_("编号"), _("时间"), _("日期"), _("优惠"), _("优待对象类别"), _("卡号后四位"),
                     _("消费金额（元）"), _("优惠金额（元）"), _("收银员"), _("状态"), _("撤销原因"), _("出示方式")])
    for r in items:
        writer.writerow([csv_value(value) for value in (r.id, to_local(r.created_at).strftime("%Y-%m-%d %H:%M:%S"), r.day.isoformat(),
                         r.offer.title, category_label(r.category), r.credential.card_no[-4:],
                         f"{r.bill / 100:.2f}", f"{r.discount / 100:.2f}",
                         (r.cashier.display_name or r.cashier.username) if r.cashier else "",
                         _("已撤销") if r.voided_at else _("有效"), r.void_reason,
                         str(FORM_LABELS.get(r.credential_form, "")))])
    name = f"redemptions-{shop.id}-{date_from.isoformat()}-{date_to.isoformat()}.csv"
    return Response(out.getvalue().encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={quote(name)}"})
