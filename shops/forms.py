from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (DateField, IntegerField, PasswordField, RadioField, SelectField, SelectMultipleField,
                     StringField, TextAreaField, widgets)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from baiye import lists
from baiye.forms import YuanField


def choices(pairs):
    return [SelectChoice(value, label) for value, label in pairs]


class ShopForm(FlaskForm):
    name = StringField(_l("店铺名称"))
    industry = SelectField(_l("行业"))
    street = SelectField(_l("所在街道/乡镇"))
    address = StringField(_l("详细地址"))
    phone = StringField(_l("联系电话"))
    licence_no = StringField(_l("营业执照号（统一社会信用代码）"))
    hours = StringField(_l("营业时间"), validators=[Optional()])
    description = TextAreaField(_l("店铺简介"), validators=[Optional()])
    lat = StringField(_l("纬度"))
    lng = StringField(_l("经度"))
    error_aliases = {"location_lat": "lat", "location_lng": "lng"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.industry.choices = choices([("", _l("请选择"))] + lists.industries())
        self.street.choices = choices([("", _l("请选择"))] + lists.streets())

    def shop_data(self):
        """The filled fields, for the shared schema: a blank one is left out, so a required one is "missing" and
        an optional one takes the schema's default (none)."""
        values = {name: (getattr(self, name).data or "").strip()
                  for name in ("name", "industry", "street", "address", "phone", "licence_no", "hours", "description")}
        data = {name: value for name, value in values.items() if value}
        location = self.location_data()
        if location is not None:
            data["location"] = location
        return data

    def location_data(self):
        """The typed (or located) position for the schema, None when both boxes are blank (no location); a box
        that is not a number is said here, the ranges by the schema."""
        typed = {key: (str(getattr(self, key).data or "")).strip() for key in ("lat", "lng")}
        if not any(typed.values()):
            return None
        location = {}
        for key, text in typed.items():
            try:
                location[key] = float(text)
            except ValueError:
                location[key] = None
                getattr(self, key).errors = list(getattr(self, key).errors) + [str(_l("请填写数字，或点“使用我的当前位置”。"))]
        return location


class RegisterForm(ShopForm):
    owner_username = StringField(_l("店主登录用户名"))
    owner_password = PasswordField(_l("登录密码（至少8位，含字母和数字）"))
    error_aliases = {"username": "owner_username", **ShopForm.error_aliases}  # a username already taken, as the accounts service says

    def registration_data(self):
        data = self.shop_data()
        data["owner"] = {"username": self.owner_username.data or "", "password": self.owner_password.data or ""}
        return data


class LocationForm(FlaskForm):
    """A coordinator's correction of a shop's location (on the shop's admin page)."""

    lat = StringField(_l("纬度"))
    lng = StringField(_l("经度"))
    error_aliases = ShopForm.error_aliases
    location_data = ShopForm.location_data


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("原因"))


class StaffForm(FlaskForm):
    username = StringField(_l("收银员用户名"))
    display_name = StringField(_l("姓名（可选）"))
    password = PasswordField(_l("登录密码（至少8位，含字母和数字）"))


class PasswordForm(FlaskForm):
    password = PasswordField(_l("新密码（至少8位，含字母和数字）"))


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class OfferForm(FlaskForm):
    title = StringField(_l("优惠名称"))
    description = TextAreaField(_l("说明（可选）"))
    kind = RadioField(_l("优惠方式"), choices=choices([
        ("percent_off", _l("打折")), ("amount_off", _l("立减")), ("gift", _l("赠品")), ("priority", _l("优先服务"))]),
        default="percent_off")
    zhe = StringField(_l("折扣（如 9 表示九折，8.5 表示八五折）"))
    amount = YuanField(_l("立减金额（元）"))
    worth = YuanField(_l("价值（元，可选）"))
    min_spend = YuanField(_l("最低消费（元，可选）"))
    categories = CheckboxesField(_l("适用对象（不选则全部适用）"))
    limit_per_member = IntegerField(_l("每人限用次数（不填则不限）"), validators=[Optional()])
    limit_period = SelectField(_l("限用周期"), choices=choices([
        ("day", _l("每天")), ("week", _l("每周")), ("month", _l("每月")), ("none", _l("活动期间"))]), default="day")
    starts_on = DateField(_l("开始日期（不填则从今天起）"), validators=[Optional()])
    ends_on = DateField(_l("结束日期（可选）"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories.choices = choices(lists.categories())

    @property
    def error_aliases(self):
        """The schema's `value` is typed in the field of the offer's kind."""
        return {"value": {"percent_off": "zhe", "amount_off": "amount"}.get(self.kind.data, "worth")}

    def fill_from(self, offer):
        """Show an offer's stored values in the form's own units."""
        self.title.data, self.description.data, self.kind.data = offer.title, offer.description, offer.kind
        if offer.kind == "percent_off":
            self.zhe.data = f"{(100 - offer.value) / 10:g}"
        elif offer.kind == "amount_off":
            self.amount.data = f"{offer.value / 100:g}"
        elif offer.value:
            self.worth.data = f"{offer.value / 100:g}"
        self.min_spend.data = f"{offer.min_spend / 100:g}" if offer.min_spend else ""
        self.categories.data = offer.category_list
        self.limit_per_member.data = offer.limit_per_member
        self.limit_period.data = offer.limit_period
        self.starts_on.data, self.ends_on.data = offer.starts_on, offer.ends_on

    def offer_data(self):
        """The form in the API's units (percent off, fen), for the shared schema."""
        value = None
        if self.kind.data == "percent_off":
            value = zhe_to_percent(self.zhe.data)
            if value is None:
                self.zhe.errors = list(self.zhe.errors) + [str(_l("请输入1–9.9之间的折扣，例如 9 或 8.5。"))]
        elif self.kind.data == "amount_off":
            value = self.amount.fen
            if not value and not self.amount.errors:  # said here too: the schema's check waits for the other fields
                self.amount.errors = list(self.amount.errors) + [str(_l("立减金额必须大于0。"))]
        else:
            value = self.worth.fen
        data = {
            "title": (self.title.data or "").strip(),
            "description": (self.description.data or "").strip() or None,
            "kind": self.kind.data,
            "value": value,
            "min_spend": self.min_spend.fen,
            "categories": self.categories.data or [],
            "limit_per_member": self.limit_per_member.data,
            "limit_period": self.limit_period.data if self.limit_per_member.data else "none",
            "ends_on": self.ends_on.data.isoformat() if self.ends_on.data else None,
        }
        if self.starts_on.data:  # left blank: a new offer starts today, an edited one keeps its first day
            data["starts_on"] = self.starts_on.data.isoformat()
        return data


def zhe_to_percent(text):
    """'9' (九折) -> 10 percent off; '8.5' -> 15; None when it is not a discount."""
    try:
        zhe = float((text or "").strip().replace("折", ""))
    except ValueError:
        return None
    if not 0.1 <= zhe < 10:  # also NaN and infinities, which round() refuses
        return None
    percent = round(100 - zhe * 10)
    return percent if 1 <= percent <= 99 and abs(zhe * 10 - round(zhe * 10)) < 1e-9 else None
