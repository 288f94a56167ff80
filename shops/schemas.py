from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates, validates_schema

from baiye import lists
from baiye.accounts.services import password_problems
from baiye.validators import DAY_IN_RANGE, Text, check_licence, check_phone

from .models import LIMIT_PERIODS, OFFER_KINDS
from .services import current_offers, offer_problems

MAX_FEN = 100_000_000


def one_of_list(list_name, message):
    def check(value):
        if value not in lists.keys(list_name):
            raise ValidationError(str(message))  # a str, so that marshmallow lists it

    return check


def check_password(value):
    problems = password_problems(value)
    if problems:
        raise ValidationError(problems)


USERNAME = fields.String(required=True, validate=validate.Regexp(
    r"^[A-Za-z0-9_.\-]{3,32}$", error=_l("用户名为3–32位字母、数字、下划线、点或横线。")))


PASSWORD = fields.String(required=True, load_only=True, validate=[validate.Length(max=128), check_password])


class OwnerSchema(Schema):
    username = USERNAME
    password = PASSWORD


class ShopInputSchema(Schema):
    name = Text(required=True, validate=validate.Length(min=2, max=100))
    industry = fields.String(required=True, validate=one_of_list("INDUSTRIES", _l("请选择行业。")))
    street = fields.String(required=True, validate=one_of_list("STREETS", _l("请选择所在街道/乡镇。")))
    address = Text(required=True, validate=validate.Length(min=2, max=200))
    phone = fields.String(required=True, validate=check_phone)
    licence_no = fields.String(required=True, validate=check_licence)
    hours = Text(load_default=None, allow_none=True, validate=validate.Length(max=100))
    description = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @post_load
    def tidy(self, data, **kwargs):
        if "phone" in data:  # a partial change may leave either out
            data["phone"] = data["phone"].strip()
        if "licence_no" in data:
            data["licence_no"] = data["licence_no"].strip().upper()
        return data


class ShopRegistrationSchema(ShopInputSchema):
    owner = fields.Nested(OwnerSchema, required=True)


class ReasonSchema(Schema):
    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))


class PasswordSchema(Schema):
    password = PASSWORD


class StaffSchema(OwnerSchema):
    display_name = Text(load_default=None, allow_none=True, validate=validate.Length(max=64))


class StaffOutSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    display_name = fields.String(allow_none=True)
    shop_id = fields.Integer()


class OfferInputSchema(Schema):
    title = Text(required=True, validate=validate.Length(min=1, max=100))
    description = Text(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    kind = fields.String(required=True, validate=validate.OneOf(OFFER_KINDS, error=_l("请选择优惠方式。")))
    value = fields.Integer(strict=True, load_default=None, allow_none=True,
                           validate=validate.Range(min=0, max=MAX_FEN))
    min_spend = fields.Integer(strict=True, load_default=None, allow_none=True,
                               validate=validate.Range(min=0, max=MAX_FEN, error=_l("最低消费不能为负数。")))
    categories = fields.List(fields.String(), load_default=None, allow_none=True)
    limit_per_member = fields.Integer(strict=True, load_default=None, allow_none=True,
                                      validate=validate.Range(min=1, max=1000, error=_l("次数应在1–1000之间。")))
    limit_period = fields.String(load_default="none", validate=validate.OneOf(
        LIMIT_PERIODS, error=_l("限制周期应为每天、每周、每月或不限。")))
    starts_on = fields.Date(validate=DAY_IN_RANGE, metadata={
        "description": "First day (YYYY-MM-DD, 2000-01-01 to 2099-12-31); left out when creating: today in the "
                       "deployment's time zone"})
    ends_on = fields.Date(load_default=None, allow_none=True, validate=DAY_IN_RANGE,
                          metadata={"description": "Last day (YYYY-MM-DD, 2000-01-01 to 2099-12-31); null: no end"})
    is_active = fields.Boolean(load_default=True)

    @validates("categories")
    def known_categories(self, value, **kwargs):
        unknown = [c for c in value or [] if c not in lists.keys("CATEGORIES")]
        if unknown:
            raise ValidationError(_("未知的优待对象类别：%(c)s", c=", ".join(unknown)))

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
    offers = fields.Method("active_offers")

    def active_offers(self, shop):
        return OfferSchema(many=True).dump(current_offers(shop))


class ShopPrivateSchema(ShopSchema):
    """What the shop's own staff and coordinators see."""

    licence_no = fields.String()
    status_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()


class DirectoryQuerySchema(Schema):
    industry = fields.String(load_default=None)
    street = fields.String(load_default=None)
    category = fields.String(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
