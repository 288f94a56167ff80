"""Pages: coordinators' member records and cards, the activation page, the member's phone page."""
import base64

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from flask_login import current_user

from baiye.accounts.views import start_session
from baiye.api import roles_required
from baiye.clock import local_date, utcnow
from baiye.errors import DomainError
from baiye.extensions import db, limiter
from baiye.forms import attach_errors, submit, validate_with
from baiye.messages import N_
from baiye.validators import row_id_from_digits

from shops.services import directory as shops_directory
from shops.views import directory_args

from .. import qr, tokens
from . import services
from .api import activation_url, phone_code_body
from .forms import ActionForm, ImportForm, MemberEditForm, MemberForm, ReasonForm
from .imports import read_sheet, template_file
from .schemas import MemberInputSchema, MemberQuerySchema, MemberUpdateSchema, ReasonSchema, active_credential, credential_status, member_status

bp = Blueprint("verification", __name__)

STATUS_LABELS = {"active": N_("有效"), "revoked": N_("已作废"), "expired": N_("已过期"), "purged": N_("已清除")}


@bp.app_context_processor
def verification_helpers():
    return {"credential_label": lambda s: _(STATUS_LABELS.get(s, s)), "mask_name": tokens.mask_name,
            "format_card_no": tokens.format_card_no}


def qr_data_uri(text):
    """An inline SVG QR (the page's CSP allows data: images) for a link shown once."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr.qr_svg(text)).decode()


def remember_link(member, token):
    session["activation"] = {"member_id": member.id, "url": activation_url(token)}


# --- coordinators ------------------------------------------------------------------------------

@bp.get("/admin/members")
@roles_required("coordinator")
def members():
    args = MemberQuerySchema().load({k: v for k, v in request.args.items() if k in ("q", "category", "page") and v})
    items, total = services.search_members(**args)
    return render_template("verification/members.html", members=items, total=total, args=args,
                           status_of=member_status, pages=(total + args["per_page"] - 1) // args["per_page"])


@bp.route("/admin/members/new", methods=["GET", "POST"])
@roles_required("coordinator")
def enrol():
    form = MemberForm()
    if form.validate_on_submit():
        data = validate_with(form, MemberInputSchema(), form.member_data())
        result = data and submit(form, lambda: services.enrol_member(data, current_user))
        if result:
            member, _credential, token = result
            remember_link(member, token)
            flash(_("已登记 %(name)s，优待证已发放。请把下方激活码交给本人扫码。", name=member.name), "success")
            return redirect(url_for("verification.member_detail", member_id=member.id))
    return render_template("verification/enrol.html", form=form), 422 if form.errors or form.form_errors else 200


@bp.route("/admin/members/<int:member_id>/edit", methods=["GET", "POST"])
@roles_required("coordinator")
def edit_member(member_id):
    member = services.get_member(member_id)
    form = MemberEditForm()
    if request.method == "GET":
        form.fill_from(member)
    if form.validate_on_submit():
        data = validate_with(form, MemberUpdateSchema(), form.member_data())
        if data and submit(form, lambda: services.update_member(member, current_user, data)):
            flash(_("资料已更新。"), "success")
            return redirect(url_for("verification.member_detail", member_id=member.id))
    return render_template("verification/enrol.html", form=form, member=member), 422 if form.errors else 200


@bp.route("/admin/members/import", methods=["GET", "POST"])
@roles_required("coordinator")
def import_members():
    form = ImportForm()
    bad_rows, headings = None, {}
    if form.validate_on_submit():
        upload = form.file.data
        try:
            if not upload:
                raise DomainError("validation_error", _("请选择要导入的文件。"), 422,
                                  fields={"file": [_("请选择要导入的文件。")]})
            sheet = read_sheet(upload.filename, upload.read())
            headings = sheet.headings  # the report names the columns as the file does
            ids = services.import_members(sheet.rows, current_user)
        except DomainError as err:
            db.session.rollback()
            bad_rows = err.extra.get("rows")
            attach_errors(form, err.fields or {"_": [err.message]})
        else:
            flash(_("已导入 %(n)d 名优待对象，每人已发放优待证。", n=len(ids)), "success")
            return redirect(url_for("verification.members", imported=f"{ids[0]}-{ids[-1]}"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("verification/import.html", form=form, bad_rows=bad_rows, headings=headings,
                           categories=services.category_choices()), status


@bp.get("/admin/members/import/template.<any(csv, xlsx):fmt>")
@roles_required("coordinator")
def import_template(fmt):
    """The import's template: its Chinese headings and one example row (which the import skips)."""
    filename, mimetype, data = template_file(fmt, local_date(utcnow()))
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/admin/members/<int:member_id>")
@roles_required("coordinator")
def member_detail(member_id):
    member = services.get_member(member_id)
    link = session.pop("activation", None)
    link = link if link and link.get("member_id") == member.id else None
    return render_template("verification/member_detail.html", member=member, credential=active_credential(member),
                           status=member_status(member), credential_status=credential_status,
                           link=link, link_qr=qr_data_uri(link["url"]) if link else None,
                           reason_form=ReasonForm(), action_form=ActionForm())


@bp.post("/admin/members/<int:member_id>/reissue")
@roles_required("coordinator")
def reissue(member_id):
    form = ActionForm()
    member = services.get_member(member_id)
    if form.validate_on_submit():
        credential = services.reissue_credential(member, current_user)
        flash(_("已补发新证（第 %(n)d 张），旧证已作废。", n=credential.serial), "success")
    return redirect(url_for("verification.member_detail", member_id=member.id))


@bp.post("/admin/credentials/<int:credential_id>/revoke")
@roles_required("coordinator")
def revoke(credential_id):
    credential = services.get_credential(credential_id)
    member = credential.member
    form = ReasonForm()
    data = validate_with(form, ReasonSchema(), {"reason": form.reason.data}) if form.validate_on_submit() else None
    if data is not None and submit(form, lambda: services.revoke_credential(credential, current_user, data["reason"])):
        flash(_("优待证已作废。"), "info")
        return redirect(url_for("verification.member_detail", member_id=member.id))
    return render_template("verification/member_detail.html", member=member, credential=active_credential(member),
                           status=member_status(member), credential_status=credential_status, link=None,
                           link_qr=None, reason_form=form, action_form=ActionForm()), 422


@bp.post("/admin/members/<int:member_id>/activation")
@roles_required("coordinator")
def new_activation(member_id):
    form = ActionForm()
    member = services.get_member(member_id)
    if form.validate_on_submit():
        try:
            remember_link(member, services.create_activation(member, current_user))
            flash(_("已生成新的激活码，之前的激活链接已失效。"), "success")
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
    return redirect(url_for("verification.member_detail", member_id=member.id))


def member_id(text):
    """The member id typed in a print range (None when blank); a 400 for anything that cannot be one."""
    if not text.strip():
        return None
    number = row_id_from_digits(text.strip())
    if number is None:
        raise DomainError("validation_error", _("打印范围应为会员编号。"), 400)
    return number


def print_selection(values):
    """The members chosen for printing: ticked (?ids=1&ids=2 or ids=1,2), an id range (an import's batch: from, to)
    and/or a category. Nothing chosen is an empty selection, never every member."""
    ids = [member_id(x) for value in values.getlist("ids") for x in value.split(",") if x.strip()]
    first, last = (member_id(values.get(end, "")) for end in ("from", "to"))
    category = values.get("category") or None
    chosen = {"ids": ids, "first_id": first, "last_id": last, "category": category}
    if not any(chosen.values()):
        return chosen, []
    return chosen, services.members_for_print(**chosen)


def selection_args(chosen):
    args = {"ids": ",".join(map(str, chosen["ids"])), "from": chosen["first_id"], "to": chosen["last_id"],
            "category": chosen["category"]}
    return {k: v for k, v in args.items() if v}


@bp.get("/admin/members/print")
@roles_required("coordinator")
def print_cards():
    """What is about to be printed, and a button that prints it (the act is a POST: it is audited, and it makes
    the card each member's live form, so their phone code stops)."""
    chosen, members = print_selection(request.args)
    on_phone = [m for m in members if active_credential(m).live_form == "phone"]
    return render_template("verification/print_confirm.html", members=members, on_phone=on_phone,
                           args=selection_args(chosen), form=ActionForm())


@bp.post("/admin/members/print")
@roles_required("coordinator")
def print_sheet():
    """A4 sheets of the chosen cards, ten to a page, every QR inline (one request for the whole sheet)."""
    form = ActionForm()
    if not form.validate_on_submit():
        return redirect(url_for("verification.print_cards", **request.args))
    _chosen, members = print_selection(request.args)
    credentials = [active_credential(m) for m in members]
    # Read before the act commits (a commit would expire every row and reload each one).
    cards = [{"category": m.category, "masked_name": tokens.mask_name(m.name), "expires_on": m.expires_on,
              "card_no": c.card_no, "qr": Markup(qr.qr_svg_inline(tokens.code_url(tokens.card_token(c))))}
             for m, c in zip(members, credentials)]
    services.print_cards(credentials, current_user)
    sheets = [cards[i:i + 10] for i in range(0, len(cards), 10)]
    return render_template("verification/print.html", sheets=sheets, count=len(cards))


# --- members ------------------------------------------------------------------------------------------

@bp.route("/activate/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def activate(token):
    """Opening the link changes nothing (chat apps pre-fetch links); the member taps to bind the phone."""
    form = ActionForm()
    try:
        link = services.find_activation(token)
    except DomainError as err:
        return render_template("verification/activate.html", error=err, form=form), err.status
    if form.validate_on_submit():
        user = services.activate(token)
        start_session(user, remember=True)
        flash(_("已在本机启用优待码。以后打开本网站即可出示。"), "success")
        return redirect(url_for("verification.me"))
    member = link.member
    return render_template("verification/activate.html", error=None, form=form,
                           masked_name=tokens.mask_name(member.name), category=member.category)


NEARBY_SHOPS = 5


@bp.get("/me")
@roles_required("member")
def me():
    member = services.member_of(current_user)
    credential = active_credential(member)
    try:
        code = phone_code_body()
        problem = None
    except DomainError as err:
        code, problem = None, err
    # With the phone's position (?near=lat,lng, from static/js/location.js): the nearest shops that take the member.
    near = directory_args(names=("near",))["near"]
    nearby = shops_directory(category=member.category, near=near, per_page=NEARBY_SHOPS)[0] if near else None
    return render_template("verification/me.html", member=member, credential=credential, code=code,
                           problem=problem, expired=member.expires_on < local_date(utcnow()), nearby=nearby,
                           near_text=request.args.get("near", "") if near else "")


@bp.get("/me/card")
@roles_required("member")
def me_card():
    """Where the member's card image used to be: a phone holds no static code any more (a coordinator prints
    cards), so this leads back to the phone code."""
    return redirect(url_for("verification.me"))


@bp.get("/me/code.svg")
@roles_required("member")
def me_code_svg():
    _credential, token, _refresh, _expires = services.phone_code(current_user)
    response = Response(qr.qr_svg(tokens.code_url(token)), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response
