from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from baiye import lists
from baiye.clock import iso_utc
from baiye.accounts.services import PASSWORD_PATTERN, password_problems
from baiye.api import Input
from baiye.validators import LICENCE_PATTERN, PHONE_PATTERN, Day, InList, Pattern, Text, check_licence, check_phone

from .models import LIMIT_PERIODS, OFFER_KINDS
from .services import current_offers, offer_problems

MAX_FEN = 100_000_000


def check_password(value):
    problems = password_problems(value)
    if problems:
        raise ValidationError(problems)


USERNAME = fields.String(required=True, validate=Pattern(
    r"^[A-Za-z0-9_.\-]{3,32}$", error=_l("用户名为3–32位字母、数字、下划线、点或横线。")))


PASSWORD = fields.String(required=True, load_only=True, validate=[validate.Length(max=128), check_password], metadata={
    "pattern": PASSWORD_PATTERN, "from_config": {"minLength": "PASSWORD_MIN_LENGTH"},
    "description": "At least PASSWORD_MIN_LENGTH characters (the deployment's, as minLength says), neither digits "
                   "(0-9) alone nor letters (A-Z, a-z) alone"})
PHONE_DESCRIPTION = "A mobile number (11 digits) or a landline with its area code; spaces around are trimmed"
LICENCE_DESCRIPTION = ("The 18-character unified social credit code (GB 32100, its last character the check character "
                       "of the first 17; either case) or a 15-digit registration number; spaces around are trimmed")


class Degrees(fields.Float):
    """A number of degrees; strict, as every number of the API is: "30.5" is not 30.5 (nor is true 1)."""

    def _validated(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return super()._validated(value)


class LocationSchema(Input):
    class Meta(Input.Meta):
        openapi = {"description": "Where the shop is: WGS-84 degrees, as a phone's GPS reports them"}

    lat = Degrees(required=True, allow_nan=False, validate=validate.Range(
        min=-90, max=90, error=_l("纬度应在 -90 到 90 之间。")))
    lng = Degrees(required=True, allow_nan=False, validate=validate.Range(
        min=-180, max=180, error=_l("经度应在 -180 到 180 之间。")))

    @validates_schema
    def whole(self, data, partial=False, **kwargs):
        """A position is both numbers, in a change (PATCH, loaded as partial) too."""
        missing = {key: [fields.Field.default_error_messages["required"]] for key in ("lat", "lng") if key not in data}
        if missing:
            raise ValidationError(missing)


class LocationOutSchema(Schema):
    lat = fields.Float(required=True)
    lng = fields.Float(required=True)


class OwnerSchema(Input):
    username = USERNAME
    password = PASSWORD


class ShopInputSchema(Input):
    class Meta(Input.Meta):
        openapi = {"description": "A shop's details. Once the shop is approved, its name and licence_no are the "
                                  "coordinators' to change (an owner's change of them is refused with 422)."}

    name = Text(required=True, validate=validate.Length(min=2, max=100))
    industry = fields.String(required=True, validate=InList("INDUSTRIES", _l("请选择行业。")))
    street = fields.String(required=True, validate=InList("STREETS", _l("请选择所在街道/乡镇。")))
    address = Text(required=True, validate=validate.Length(min=2, max=200))
    phone = fields.String(required=True, validate=check_phone,
                          metadata={"pattern": PHONE_PATTERN, "description": PHONE_DESCRIPTION})
    licence_no = fields.String(required=True, validate=check_licence, metadata={
        "pattern": LICENCE_PATTERN, "format": "uscc", "description": LICENCE_DESCRIPTION})
    hours = Text(load_default=None, allow_none=True, validate=validate.Length(max=100))
    description = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    location = fields.Nested(LocationSchema, load_default=None, allow_none=True, metadata={
        "description": "Optional; null: not given (or, in a change, removed)"})

    @post_load
    def tidy(self, data, **kwargs):
        if "phone" in data:  # a partial change may leave either out
            data["phone"] = data["phone"].strip()
        if "licence_no" in data:
            data["licence_no"] = data["licence_no"].strip().upper()
        return data


class ShopRegistrationSchema(ShopInputSchema):
    owner = fields.Nested(OwnerSchema, required=True)


class ReasonSchema(Input):
    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))


class RequiredReasonSchema(Input):
    """To reject or suspend a shop (approving takes an optional reason: ReasonSchema)."""

    reason = Text(required=True, validate=validate.Length(max=500), error_messages={"required": _l("请填写原因。")})


class PasswordSchema(Input):
    password = PASSWORD


class StaffSchema(OwnerSchema):
    display_name = Text(load_default=None, allow_none=True, validate=validate.Length(max=64))


class StaffOutSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    display_name = fields.String(allow_none=True)
    shop_id = fields.Integer()


class DecisionSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)


class ListEntrySchema(Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)


class MetaSchema(Schema):
    industries = fields.List(fields.Nested(ListEntrySchema), required=True)
    streets = fields.List(fields.Nested(ListEntrySchema), required=True)
    categories = fields.List(fields.Nested(ListEntrySchema), required=True)


class StaffListSchema(Schema):
    items = fields.List(fields.Nested(StaffOutSchema), required=True)


# The kinds of offer and the value each takes (OfferInputSchema's Meta.openapi says it; offer_problems checks it).
VALUE_BY_KIND = {"anyOf": [
    {"properties": {"kind": {"enum": ["percent_off"]}, "value": {"type": "integer", "minimum": 1, "maximum": 99}},
     "required": ["value"]},
    {"properties": {"kind": {"enum": ["amount_off"]}, "value": {"type": "integer", "minimum": 1}},
     "required": ["value"]},
    {"properties": {"kind": {"enum": ["gift", "priority"]}}},
]}


class OfferInputSchema(Input):
    class Meta(Input.Meta):
        openapi = dict(VALUE_BY_KIND, description=(
            "An offer. `value`: percent_off takes 1-99 (percent off), amount_off at least 1 (fen off), gift and "
            "priority none. `ends_on`, when set, is not before `starts_on`. A change (PATCH) is checked on the "
            "offer it makes: its stored fields with the changed ones."))

    title = Text(required=True, validate=validate.Length(min=1, max=100))
    description = Text(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    kind = fields.String(required=True, validate=validate.OneOf(OFFER_KINDS, error=_l("请选择优惠方式。")))
    value = fields.Integer(strict=True, load_default=None, allow_none=True,
                           validate=validate.Range(min=0, max=MAX_FEN))
    min_spend = fields.Integer(strict=True, load_default=None, allow_none=True,
                               validate=validate.Range(min=0, max=MAX_FEN, error=_l("最低消费不能为负数。")))
    categories = fields.List(fields.String(validate=InList("CATEGORIES", _l("请选择优待对象类别。"))),
                             load_default=None, allow_none=True)
    limit_per_member = fields.Integer(strict=True, load_default=None, allow_none=True,
                                      validate=validate.Range(min=1, max=1000, error=_l("次数应在1–1000之间。")))
    limit_period = fields.String(load_default="none", validate=validate.OneOf(
        LIMIT_PERIODS, error=_l("限制周期应为每天、每周、每月或不限。")))
    starts_on = Day(metadata={
        "description": "First day (YYYY-MM-DD, 2000-01-01 to 2099-12-31); left out when creating: today in the "
                       "deployment's time zone"})
    ends_on = Day(load_default=None, allow_none=True,
                  metadata={"description": "Last day (YYYY-MM-DD, 2000-01-01 to 2099-12-31), not before starts_on; "
                                           "null: no end"})
    is_active = fields.Boolean(load_default=True)

    @validates_schema
    def consistent(self, data, partial=False, **kwargs):
        problems = offer_problems(data)
        if problems:
            raise ValidationError(problems)

    @post_load
    def normalise(self, data, **kwargs):
        if "categories" in data:
            data["categories"] = ",".join(sorted(set(data["categories"] or [])))
        return data


class OfferSchema(Schema):
    id = fields.Integer()
    shop_id = fields.Integer()
    title = fields.String()
    description = fields.String(allow_none=True)
    kind = fields.String()
    value = fields.Integer(allow_none=True)
    min_spend = fields.Integer(allow_none=True)
    categories = fields.Function(lambda o: o.category_list or lists.keys("CATEGORIES"))
    limit_per_member = fields.Integer(allow_none=True)
    limit_period = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)
    is_active = fields.Boolean()


class ShopSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    industry = fields.String()
    industry_label = fields.Function(lambda s: lists.industry_label(s.industry))
    street = fields.String()
    street_label = fields.Function(lambda s: lists.street_label(s.street))
    address = fields.String()
    phone = fields.String()
    hours = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    status = fields.String()
    location = fields.Nested(LocationOutSchema, allow_none=True, metadata={"description": "null: not given"})
    offers = fields.Method("active_offers")

    def active_offers(self, shop):
        return OfferSchema(many=True).dump(current_offers(shop))


class DirectoryShopSchema(ShopSchema):
    """A shop in the directory (a services.DirectoryEntry): its offers running today for the category asked for
    (every one without a category), and with `near`, its distance."""

    offers = fields.Method("listed_offers", metadata={"type": "array", "items": {"$ref": "#/components/schemas/Offer"}})
    distance_m = fields.Integer(allow_none=True, metadata={
        "description": "Metres from the `near` position (great-circle); null without `near` or where the shop has "
                       "no location"})

    def listed_offers(self, entry):
        return OfferSchema(many=True).dump(entry.offers)


class ShopPrivateSchema(ShopSchema):
    """What the shop's own staff and coordinators see."""

    licence_no = fields.String(metadata={"description": "The shop's own staff and coordinators only"})
    status_reason = fields.String(allow_none=True, metadata={"description": "The shop's own staff and coordinators only"})
    created_at = fields.Function(lambda s: iso_utc(s.created_at), metadata={
        "type": "string", "format": "date-time", "description": "UTC; the shop's own staff and coordinators only"})


NEAR_PATTERN = (r"^-?(90(\.0+)?|[1-8]?[0-9](\.[0-9]+)?),"
                r"-?(180(\.0+)?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]+)?)$")


class Position(fields.Field):
    """A position in a query string, 'lat,lng' (WGS-84 degrees) -> {"lat", "lng"}, each within its range."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            lat, lng = (float(part) for part in str(value).split(","))
        except ValueError:
            raise ValidationError(_l("位置应写作“纬度,经度”，如 31.2304,121.4737。")) from None
        return LocationSchema().load({"lat": lat, "lng": lng})


class DirectoryQuerySchema(Input):
    industry = fields.String(load_default=None)
    street = fields.String(load_default=None)
    category = fields.String(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    near = Position(load_default=None, metadata={
        "type": "string", "pattern": NEAR_PATTERN,
        "description": "The caller's position, `lat,lng` in WGS-84 degrees: nearest shops first (those without a "
                       "location last), each with `distance_m`"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))

