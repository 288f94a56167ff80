from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from baiye.api import Input
from baiye.clock import iso_utc
from baiye.validators import MAX_ROW_ID, Day, InList, Text

from .stats import GROUPS, Filters

BLANK = {"blank": True}  # for the OpenAPI document: a blank value is no filter (drop_blanks)


class StatsQuerySchema(Input):
    """Period and filters of every statistics route; blank values mean "all"."""

    start = Day(data_key="from", load_default=None, blank=True, error_messages={"invalid": _l("日期格式应为 YYYY-MM-DD。")},
                metadata={"description": "First day (inclusive); blank: no bound"})
    end = Day(data_key="to", load_default=None, blank=True, error_messages={"invalid": _l("日期格式应为 YYYY-MM-DD。")},
              metadata={"description": "Last day (inclusive), not before `from`; blank: no bound"})
    street = fields.String(load_default=None, validate=InList("STREETS", _l("未知的街道/乡镇。")), metadata=BLANK)
    industry = fields.String(load_default=None, validate=InList("INDUSTRIES", _l("未知的行业。")), metadata=BLANK)
    category = fields.String(load_default=None, validate=InList("CATEGORIES", _l("未知的优待对象类别。")), metadata=BLANK)
    shop_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ROW_ID, error=_l("商户编号无效。")),
                             metadata=BLANK)

    @pre_load
    def drop_blanks(self, data, **kwargs):
        return {k: v for k, v in data.items() if v not in ("", None)}

    @validates_schema
    def ordered(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError({"from": [_l("开始日期不能晚于结束日期。")]})

    @post_load
    def as_filters(self, data, **kwargs):
        return Filters(**data)


class BreakdownQuerySchema(StatsQuerySchema):
    by = fields.String(required=True, validate=validate.OneOf(GROUPS, error=_l("分组方式应为 {choices} 之一。")))

    @post_load
    def as_filters(self, data, **kwargs):
        by = data.pop("by")
        return {"by": by, "filters": Filters(**data)}


class InactiveQuerySchema(StatsQuerySchema):
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=3650, error=_l("天数应在1–3650之间。")))

    @post_load
    def as_filters(self, data, **kwargs):
        days = data.pop("days")
        return {"days": days, "filters": Filters(**data)}


class ShopStatusSchema(Schema):
    approved = fields.Integer()
    pending = fields.Integer()
    suspended = fields.Integer()
    rejected = fields.Integer()


BY_FORM = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
    "description": "Redemptions by the form that identified the member: phone_qr, phone_digits, card_qr, card_number "
                   "(and unrecorded, for redemptions logged before forms were kept, when there are any)"})


class SummarySchema(Schema):
    shops = fields.Nested(ShopStatusSchema)
    offers_active = fields.Integer()
    members = fields.Integer()
    redemptions = fields.Integer()
    beneficiaries = fields.Integer()
    bill = fields.Integer()
    discount = fields.Integer()
    by_form = BY_FORM


class BreakdownRowSchema(Schema):
    key = fields.Raw()
    label = fields.String()
    redemptions = fields.Integer()
    beneficiaries = fields.Integer()
    bill = fields.Integer()
    discount = fields.Integer()


class BreakdownSchema(Schema):
    rows = fields.List(fields.Nested(BreakdownRowSchema))


class PublicSchema(Schema):
    shops = fields.Integer()
    redemptions = fields.Integer()
    beneficiaries = fields.Integer()
    discount = fields.Integer()


class PhotoInputSchema(Input):
    caption = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @pre_load
    def tidy(self, data, **kwargs):
        caption = (data.get("caption") or "").strip()
        return {"caption": caption or None}


class PhotoSchema(Schema):
    id = fields.Integer()
    shop_id = fields.Integer()
    caption = fields.String(allow_none=True)
    width = fields.Integer()
    height = fields.Integer()
    size = fields.Integer()
    created_at = fields.Function(lambda p: iso_utc(p.created_at), metadata={"type": "string", "format": "date-time"})
    url = fields.Function(lambda p: f"/photos/{p.id}.jpg")
    thumb_url = fields.Function(lambda p: f"/photos/{p.id}/thumb.jpg")


class PhotoUploadSchema(Input):
    """The multipart body of a photo upload (for the OpenAPI document; PhotoInputSchema loads the caption)."""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                                "description": "A JPEG, PNG, WEBP, GIF or BMP image"})
    caption = Text(load_default=None, validate=validate.Length(max=200),
                   metadata={"description": "Text of at most 200 characters; blank: none"})


class InactiveShopSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String()
    street = fields.String()
    industry = fields.String()
    last_day = fields.Date(allow_none=True)
    approved_on = fields.Date(allow_none=True, metadata={"description": "The local day the shop was approved"})
    new = fields.Boolean(metadata={"description": "Approved within the period asked about: new, not dormant"})
