"""What the scanning and redemption routes load and dump."""
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from baiye.api import Input
from baiye.clock import iso_utc
from baiye.validators import MAX_ROW_ID, Day, Text

from ..tokens import FORMS, card_last4

CODE = fields.String(required=True, validate=validate.Length(min=1, max=2048, error=_l("请提供二维码内容或卡号。")))


class VerifySchema(Input):
    code = CODE


class RedeemSchema(Input):
    code = CODE
    offer_id = fields.Integer(strict=True, required=True)
    # fen; range checked by the service (after a replayed idempotency key, which is answered whatever its bill)
    bill = fields.Integer(strict=True, load_default=None, metadata={
        "minimum": 0, "from_config": {"maximum": "BILL_CEILING_FEN"},
        "description": "The bill in fen, up to the deployment's ceiling (BILL_CEILING_FEN). May be left out (or "
                       "null) for a gift or priority offer, which takes no money off; any other offer refuses a "
                       "missing bill with 422."})
    idempotency_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class VoidSchema(Input):
    class Meta(Input.Meta):
        openapi = {"required": ["reason"]}  # checked by the service, once the redemption is found (404 first)

    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=500, error=_l("原因不能超过500字。")),
                  metadata={"required_by_service": True})


class RedemptionQuerySchema(Input):
    date_from = Day(data_key="from", load_default=None)
    date_to = Day(data_key="to", load_default=None)
    shop_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ROW_ID))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class OfferUseSchema(Schema):
    id = fields.Function(lambda u: u.offer.id)
    title = fields.Function(lambda u: u.offer.title)
    kind = fields.Function(lambda u: u.offer.kind)
    value = fields.Function(lambda u: u.offer.value)
    min_spend = fields.Function(lambda u: u.offer.min_spend)
    limit_per_member = fields.Function(lambda u: u.offer.limit_per_member)
    limit_period = fields.Function(lambda u: u.offer.limit_period)
    remaining = fields.Integer(allow_none=True)


FORM = fields.String(allow_none=True, metadata={
    "enum": list(FORMS), "description": "How the member was identified: phone_qr, phone_digits, card_qr or card_number "
                                        "(on a refusal: the form the code appears to be in, null if none)."})


class VerificationSchema(Schema):
    """{"valid": true, "member", "offers", "credential_form"} or {"valid": false, "reason", "message",
    "credential_form"} (API.md), with "detail" where the reason alone would mislead (tokens.refuse)."""

    valid = fields.Boolean()
    reason = fields.String()
    detail = fields.String(metadata={"description": "check_digit, digits, card_not_live, phone_not_live or not_a_code"})
    message = fields.String(attribute="reason_text", metadata={"description": "The refusal in plain words"})
    credential_form = FORM
    member = fields.Method("member_view")
    offers = fields.Nested(OfferUseSchema, many=True)

    def member_view(self, v):
        if not v.valid:
            return None
        return {"category": v.member.category, "masked_name": v.masked_name, "card_last4": v.card_last4}


# A verification's answer has the fields of its case only: one schema for each, built once.
_VERIFICATIONS = {
    (True, False): VerificationSchema(only=("valid", "member", "offers", "credential_form")),
    (False, False): VerificationSchema(only=("valid", "reason", "message", "credential_form")),
    (False, True): VerificationSchema(only=("valid", "reason", "message", "credential_form", "detail")),
}


def dump_verification(verification):
    """The answer to a verify call (VerificationSchema), with the fields of its case."""
    return _VERIFICATIONS[verification.valid, bool(verification.detail) and not verification.valid].dump(verification)


def labels(r):
    """Offer title, card number and cashier name of a redemption: a freshly logged one carries them
    (operations._log_redemption), a stored one loads them."""
    known = getattr(r, "labels", None)
    if known is not None:
        return known
    return {"offer_title": r.offer.title, "card_no": r.credential.card_no,
            "cashier": r.cashier.display_name or r.cashier.username if r.cashier else None}


class RedemptionSchema(Schema):
    id = fields.Integer()
    shop_id = fields.Integer()
    offer_id = fields.Integer()
    offer_title = fields.Function(lambda r: labels(r)["offer_title"])
    category = fields.String()
    bill = fields.Integer()
    discount = fields.Integer()
    card_last4 = fields.Function(lambda r: card_last4(labels(r)["card_no"]))
    cashier = fields.Function(lambda r: labels(r)["cashier"])
    created_at = fields.Function(lambda r: iso_utc(r.created_at))
    day = fields.Date()
    idempotency_key = fields.String(allow_none=True)
    credential_form = FORM
    voided_at = fields.Function(lambda r: iso_utc(r.voided_at))
    void_reason = fields.String(allow_none=True)
