from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from baiye import lists


class MemberForm(FlaskForm):
    name = StringField(_l("姓名"))
    category = SelectField(_l("优待对象类别"))
    id_number = StringField(_l("身份证号（18位）"))
    phone = StringField(_l("手机号（可选）"), validators=[Optional()])
    expires_on = DateField(_l("优待证有效期至"), validators=[Optional()])
    station = StringField(_l("发证服务站（可选）"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [SelectChoice(k, v) for k, v in [("", _l("请选择"))] + lists.categories()]

    def member_data(self):
        data = {name: (getattr(self, name).data or "").strip()
                for name in ("name", "category", "id_number", "phone", "station")}
        data["expires_on"] = self.expires_on.data.isoformat() if self.expires_on.data else None
        if data["expires_on"] is None:
            data.pop("expires_on")
        return data


class ImportForm(FlaskForm):
    file = FileField(_l("名单文件（CSV 或 Excel .xlsx）"))


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("作废原因"))


class ActionForm(FlaskForm):
    """A button that posts: only the CSRF token."""


class MemberEditForm(MemberForm):
    id_number = None  # never changes: a different person is a new enrolment

    def member_data(self):
        data = {name: (getattr(self, name).data or "").strip() for name in ("name", "category", "phone", "station")}
        if self.expires_on.data:
            data["expires_on"] = self.expires_on.data.isoformat()
        return data

    def fill_from(self, member):
        self.name.data, self.category.data, self.phone.data = member.name, member.category, member.phone
        self.expires_on.data, self.station.data = member.expires_on, member.station
