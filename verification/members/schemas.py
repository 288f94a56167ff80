from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate

from baiye import lists
from baiye.api import Input
from baiye.clock import iso_utc, local_date, utcnow
from baiye.validators import ALL_SPACES, PHONE_PATTERN, Day, InList, Text, check_phone

from .. import tokens


def check_id_number(value):
    number = tokens.normalise_id_number(value)
    if len(number) != 18:
        raise ValidationError(str(_l("身份证号应为18位。")))
    if not tokens.id_number_valid(number):
        raise ValidationError(str(_l("身份证号校验位不符，请逐位核对（最后一位可能是X）。")))


# For the OpenAPI document: 18 characters, the last a digit or X (either case), spaces anywhere (they are taken
# out); the check character is named by the format, "resident-id".
ID_NUMBER_PATTERN = f"^[{ALL_SPACES}]*(?:[0-9] *){{17}}[0-9Xx][{ALL_SPACES}]*$"


def check_not_past(value):
    if value < local_date(utcnow()):
        raise ValidationError(str(_l("有效期不能早于今天。")))


class MemberInputSchema(Input):
    name = Text(required=True, validate=validate.Length(min=1, max=64, error=_l("请填写姓名（64字以内）。")),
                error_messages={"required": _l("请填写姓名（64字以内）。")})
    category = fields.String(required=True, validate=InList("CATEGORIES", _l("请选择优待对象类别。")))
    id_number = fields.String(required=True, load_only=True, validate=check_id_number, metadata={
        "pattern": ID_NUMBER_PATTERN, "format": "resident-id",
        "description": "The 18-character resident ID (GB 11643: its last character, a digit or X, the check "
                       "character of the first 17); spaces are taken out"})
    phone = fields.String(load_default=None, allow_none=True, validate=check_phone, metadata={
        "pattern": f"(?:{PHONE_PATTERN})|^[{ALL_SPACES}]*$",
        "description": "A mobile number or a landline with its area code; blank or null: none"})
    expires_on = Day(required=True, validate=check_not_past, metadata={
        "description": "Last day of the member's entitlement (YYYY-MM-DD), not before today in the deployment's "
                       "time zone"})
    station = Text(load_default=None, allow_none=True, validate=validate.Length(max=100))

    @pre_load
    def blanks(self, data, **kwargs):
        """An empty phone means 'not given' (text fields see to their own blanks)."""
        if isinstance(data, dict) and isinstance(data.get("phone"), str) and not data["phone"].strip():
            data = dict(data, phone=None)
        return data

    @post_load
    def tidy(self, data, **kwargs):
        data["id_number"] = tokens.normalise_id_number(data["id_number"])
        if data.get("phone"):
            data["phone"] = data["phone"].strip()
        return data


class MemberUpdateSchema(MemberInputSchema):
    """The same rules, every field optional, the ID number not changeable."""

    class Meta(Input.Meta):
        exclude = ("id_number",)

    @post_load
    def tidy(self, data, **kwargs):
        for key in ("phone", "station"):
            if isinstance(data.get(key), str):
                data[key] = data[key].strip() or None
        return data


class ReasonSchema(Input):
    reason = Text(required=True, validate=validate.Length(min=1, max=500, error=_l("请填写原因（500字以内）。")),
                  error_messages={"required": _l("请填写原因（500字以内）。")})


class ActivateSchema(Input):
    class Meta(Input.Meta):
        openapi = {"anyOf": [{"required": [name], "properties": {name: {"type": "string", "minLength": 1}}}
                             for name in ("activation_url", "token")],
                   "description": "The activation link, or its bare token: one of the two, not empty"}

    activation_url = fields.String(load_default=None, validate=validate.Length(max=500))
    token = fields.String(load_default=None, validate=validate.Length(max=500))

    @post_load
    def either(self, data, **kwargs):
        text = data.get("activation_url") or data.get("token")
        if not text:
            raise ValidationError({"activation_url": [str(_l("请提供激活链接。"))]})
        return {"text": text}


class MemberQuerySchema(Input):
    q = fields.String(load_default=None, validate=validate.Length(max=64))
    category = fields.String(load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class CredentialSchema(Schema):
    id = fields.Integer()
    card_no = fields.String()
    card_no_display = fields.Function(lambda c: tokens.format_card_no(c.card_no))
    serial = fields.Integer()
    status = fields.Function(lambda c: credential_status(c))
    issued_at = fields.Function(lambda c: iso_utc(c.issued_at))
    revoked_at = fields.Function(lambda c: iso_utc(c.revoked_at))
    revoked_reason = fields.String(allow_none=True)


def credential_status(credential, today=None):
    """active / revoked / expired, as a person reading it would put it."""
    if credential.status != "active":
        return credential.status
    if credential.member.expires_on < (today or local_date(utcnow())):
        return "expired"
    return "active"


def active_credential(member):
    return next((c for c in member.credentials if c.status == "active"), None)


def member_status(member, today=None):
    if member.purged_at is not None:
        return "purged"
    if member.expires_on < (today or local_date(utcnow())):
        return "expired"
    return "active" if active_credential(member) else "revoked"


class MemberSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    masked_name = fields.Function(lambda m: tokens.mask_name(m.name))
    category = fields.String()
    category_label = fields.Function(lambda m: lists.category_label(m.category))
    id_last4 = fields.String()
    phone = fields.String(allow_none=True)
    expires_on = fields.Date()
    station = fields.String(allow_none=True)
    status = fields.Function(lambda m: member_status(m))
    credential = fields.Method("current_credential")
    created_at = fields.Function(lambda m: iso_utc(m.created_at))

    def current_credential(self, member):
        credential = active_credential(member) or (member.credentials[-1] if member.credentials else None)
        return CredentialSchema().dump(credential) if credential else None


class MemberUserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    shop_id = fields.Integer(allow_none=True)
    member_id = fields.Integer(allow_none=True)


class ActivationTokenSchema(Schema):
    token = fields.String()
    user = fields.Nested(MemberUserSchema)


class CardSchema(Schema):
    id = fields.Integer()
    card_no = fields.String()
    card_no_display = fields.String()
    qr_url = fields.String()
    status = fields.String()
    live_form = fields.String(metadata={"description": "card: the printed card verifies; phone: the member's phone "
                                                       "does, and this card does not until it is printed (POST .../print)"})


class PhoneCodeSchema(Schema):
    qr_url = fields.String()
    digits = fields.String(metadata={"description": "12 digits a cashier types when the camera fails; valid in the "
                                                    "same window as qr_url"})
    digits_display = fields.String(metadata={"description": "digits grouped in fours, to read aloud"})
    expires_at = fields.String()
    refresh_at = fields.String()
    server_time = fields.String()
    step_seconds = fields.Integer()


class EnrolledSchema(MemberSchema):
    activation_url = fields.String(metadata={"description": "The member's one-time activation link"})


class ImportFileSchema(Input):
    file = fields.Raw(required=True, metadata={
        "type": "string", "format": "binary",
        "description": "CSV (UTF-8) or XLSX with the columns name, category, id_number, phone, expires_on"})


class ImportResultSchema(Schema):
    created = fields.Integer(required=True)
    first_id = fields.Integer(required=True)
    last_id = fields.Integer(required=True)


class ActivationLinkSchema(Schema):
    activation_url = fields.String(required=True)


class CredentialStatusSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)


class MeSchema(Schema):
    masked_name = fields.String()
    category = fields.String()
    category_label = fields.String()
    expires_on = fields.Date()
    expired = fields.Boolean()
    credential_id = fields.Integer(allow_none=True)
