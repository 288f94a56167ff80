from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, StringField, TextAreaField

from baiye.forms import YuanField


class CodeForm(FlaskForm):
    code = StringField(_l("号码"))


class PhotoForm(FlaskForm):
    photo = FileField(_l("拍照识别"))


class RedeemForm(FlaskForm):
    offer_id = RadioField(_l("选择优惠"), coerce=int, validate_choice=False)
    bill = YuanField(_l("消费金额（元）"))
    idempotency_key = HiddenField()


class VoidForm(FlaskForm):
    reason = TextAreaField(_l("撤销原因"))
