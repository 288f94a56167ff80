"""JSON routes for members, credentials, cards and the member's phone code."""
from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from baiye import lists
from baiye.accounts.services import issue_api_token
from baiye.api import API_PREFIX, doc, load, page_of, query_args, roles_required
from baiye.clock import iso_utc, local_date, utcnow
from baiye.errors import DomainError, invalid
from baiye.extensions import db, limiter

from .. import qr, tokens
from . import services
from .imports import read_rows
from .schemas import (ActivateSchema, ActivationLinkSchema, ActivationTokenSchema, CardSchema, CredentialSchema,
                      CredentialStatusSchema, EnrolledSchema, ImportFileSchema, ImportResultSchema, MemberInputSchema,
                      MemberQuerySchema, MemberSchema, MemberUpdateSchema, MeSchema, PhoneCodeSchema, ReasonSchema,
                      active_credential, credential_status)

bp = Blueprint("verification_api", __name__, url_prefix=API_PREFIX)


def activation_url(token):
    return f"{tokens.public_origin()}/activate/{token}"


@bp.post("/members")
@roles_required("coordinator")
@doc(body=MemberInputSchema, response=EnrolledSchema, status=201, summary="Enrol a member (credential and activation link included)")
def enrol():
    member, _credential, token = services.enrol_member(load(MemberInputSchema()), current_user)
    return dict(MemberSchema().dump(member), activation_url=activation_url(token)), 201


@bp.get("/members")
@roles_required("coordinator")
@doc(query=MemberQuerySchema, response=page_of(MemberSchema, "MemberPage"), summary="Search members by name, phone, last four of the ID or card number")
def search():
    args = query_args(MemberQuerySchema())
    items, total = services.search_members(**args)
    return {"items": MemberSchema(many=True).dump(items), "total": total}


@bp.post("/members/import")
@roles_required("coordinator")
@doc(body=ImportFileSchema, content_type="multipart/form-data", response=ImportResultSchema,
     summary="Import members from CSV or XLSX (columns name, category, id_number, phone, expires_on); all or nothing")
def import_members():
    upload = request.files.get("file")
    if upload is None:
        raise invalid({"file": [_("请选择要导入的文件。")]})
    ids = services.import_members(read_rows(upload.filename, upload.read()), current_user)
    return {"created": len(ids), "first_id": ids[0], "last_id": ids[-1]}


@bp.get("/members/<int:member_id>")
@roles_required("coordinator")
@doc(response=MemberSchema, summary="A member (never the whole ID number)")
def member_detail(member_id):
    return MemberSchema().dump(services.get_member(member_id))


@bp.patch("/members/<int:member_id>")
@roles_required("coordinator")
@doc(body=MemberUpdateSchema(partial=True), response=MemberSchema, summary="Change a member's name, category, phone, expiry or station")
def update_member(member_id):
    member = services.get_member(member_id)
    data = load(MemberUpdateSchema(), partial=True)
    return MemberSchema().dump(services.update_member(member, current_user, data))


@bp.post("/members/<int:member_id>/activation")
@roles_required("coordinator")
@doc(response=ActivationLinkSchema, status=201, summary="A new one-time activation link; earlier links stop working")
def new_activation(member_id):
    token = services.create_activation(services.get_member(member_id), current_user)
    return {"activation_url": activation_url(token)}, 201


@bp.post("/members/<int:member_id>/credentials")
@roles_required("coordinator")
@doc(response=CredentialSchema, status=201, summary="Reissue: a new credential; the old one is revoked")
def reissue(member_id):
    credential = services.reissue_credential(services.get_member(member_id), current_user)
    return CredentialSchema().dump(credential), 201


@bp.post("/credentials/<int:credential_id>/revoke")
@roles_required("coordinator")
@doc(body=ReasonSchema, response=CredentialStatusSchema, summary="Revoke a credential with a reason")
def revoke(credential_id):
    data = load(ReasonSchema())
    credential = services.revoke_credential(services.get_credential(credential_id), current_user, data["reason"])
    return {"id": credential.id, "status": credential.status}


def card_fields(credential):
    return {"id": credential.id, "card_no": credential.card_no,
            "card_no_display": tokens.format_card_no(credential.card_no),
            "qr_url": tokens.code_url(tokens.card_token(credential)), "status": credential_status(credential),
            "live_form": credential.live_form}


def image(body, mimetype, max_age=3600):
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = f"private, max-age={max_age}"
    return response


@bp.get("/credentials/<int:credential_id>/card")
@roles_required("coordinator")
@doc(response=CardSchema, summary="The card's number and the exact text of its QR")
def card(credential_id):
    return CardSchema().dump(card_fields(services.card_credential(credential_id, current_user)))


@bp.post("/credentials/<int:credential_id>/print")
@roles_required("coordinator")
@doc(response=CardSchema, summary="Print a member's card: the card becomes the form they carry (their phone code "
                                  "stops); audited")
def print_card(credential_id):
    credential = services.get_credential(credential_id)
    if credential.status != "active":
        raise DomainError("invalid_transition", _("该优待证已作废或过期，不能打印。请先补发新证。"), 409)
    services.print_cards([credential], current_user)
    return CardSchema().dump(card_fields(credential))


@bp.get("/credentials/<int:credential_id>/card.png")
@roles_required("coordinator")
@doc(produces="image/png", summary="The printable card image (85.6 x 54 mm at 300 dpi), QR included")
def card_png(credential_id):
    credential = services.card_credential(credential_id, current_user)
    fields = card_fields(credential)
    member = credential.member
    status = credential_status(credential)
    body = qr.card_png(
        fields["qr_url"], fields["card_no_display"], _("百业千店 · 拥军优待证"), lists.category_label(member.category),
        tokens.mask_name(member.name), _("有效期至 %(d)s", d=member.expires_on.isoformat()),
        {"revoked": _("已作废"), "expired": _("已过期")}.get(status))
    response = image(body, "image/png")
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="card-{credential.card_no}.png"'
    return response


@bp.get("/credentials/<int:credential_id>/qr.svg")
@roles_required("coordinator")
@doc(produces="image/svg+xml", summary="The card's QR alone, as SVG")
def card_qr_svg(credential_id):
    credential = services.card_credential(credential_id, current_user)
    return image(qr.qr_svg(card_fields(credential)["qr_url"]), "image/svg+xml")


@bp.get("/credentials/<int:credential_id>/qr.png")
@roles_required("coordinator")
@doc(produces="image/png", summary="The card's QR alone, as PNG")
def card_qr_png(credential_id):
    credential = services.card_credential(credential_id, current_user)
    return image(qr.qr_png(card_fields(credential)["qr_url"]), "image/png")


@bp.post("/auth/activate")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@doc(body=ActivateSchema, response=ActivationTokenSchema, summary="Use a member's activation link once; get a bearer token", auth=False)
def activate():
    data = load(ActivateSchema())
    user = services.activate(services.activation_token_from(data["text"]))
    token = issue_api_token(user)
    db.session.commit()
    return ActivationTokenSchema().dump({"token": token, "user": user})


def phone_code_body(now=None):
    now = now or utcnow()
    credential, token, refresh_at, expires_at = services.phone_code(current_user, now)
    digits = tokens.phone_digits(credential, now)
    return {"qr_url": tokens.code_url(token), "digits": digits, "digits_display": tokens.format_digits(digits),
            "expires_at": iso_utc(expires_at), "refresh_at": iso_utc(refresh_at),
            "server_time": iso_utc(now), "step_seconds": tokens.step_seconds()}


@bp.get("/me/code")
@roles_required("member")
@doc(response=PhoneCodeSchema, summary="The member's current phone code")
def my_code():
    response = current_app.response_class(
        current_app.json.dumps(PhoneCodeSchema().dump(phone_code_body())), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/me")
@roles_required("member")
@doc(response=MeSchema, summary="The member's own record as a shop would see it, plus expiry")
def me():
    member = services.member_of(current_user)
    credential = active_credential(member)
    return {"masked_name": tokens.mask_name(member.name), "category": member.category,
            "category_label": lists.category_label(member.category), "expires_on": member.expires_on.isoformat(),
            "expired": member.expires_on < local_date(utcnow()),
            "credential_id": credential.id if credential else None,
            "card_last4": tokens.card_last4(credential.card_no) if credential else None,
            "live_form": credential.live_form if credential else None}
