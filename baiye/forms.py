"""Glue between WTForms (rendering, CSRF) and the marshmallow schemas that hold the rules."""
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, ValidationError
from wtforms import StringField

from baiye.errors import DomainError
from baiye.extensions import db
from baiye.messages import localise


def attach_errors(form, messages, prefix=""):
    """Put {field: [message]} (nested for nested schemas) beside the form's fields. A form whose fields are
    named otherwise than the schema's says so in `error_aliases` ({schema field: form field}); a field
    reached that way keeps the form's own complaint, in the form's units, when it has one."""
    aliases = getattr(form, "error_aliases", {})
    for name, value in messages.items():
        if isinstance(value, dict):
            attach_errors(form, value, prefix=f"{prefix}{name}_")
            continue
        texts = localise(value if isinstance(value, (list, tuple)) else [value])
        field_name = aliases.get(prefix + name, prefix + name)
        field = form[field_name] if field_name in form else None
        if field is not None and prefix + name in aliases and field.errors:
            continue
        if field is None:
            form.form_errors.extend(texts)
        else:
            field.errors = list(field.errors) + texts


def validate_with(form, schema, data, partial=False):
    """Load `data` with the shared schema; None (and messages on the form) when invalid."""
    try:
        return schema.load(data, unknown=EXCLUDE, partial=partial)
    except ValidationError as err:
        attach_errors(form, err.messages if isinstance(err.messages, dict) else {"_": err.messages})
        return None


def submit(form, action):
    """Run a service call; a refusal is shown on the form instead of an error page."""
    try:
        return action()
    except DomainError as err:
        db.session.rollback()
        attach_errors(form, err.fields or {"_": [err.message]})
        return None


class YuanField(StringField):
    """Money typed in yuan ("12.5"), held in fen (1250). Blank is None."""

    def process_formdata(self, valuelist):
        self.fen = None
        super().process_formdata(valuelist)
        text = (self.data or "").strip().replace("，", ".").replace(",", "").replace("¥", "").replace("元", "")
        if not text:
            return
        try:
            amount = Decimal(text)
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite():  # "NaN" and "Infinity" are Decimals too
            raise ValueError(_l("请输入金额，例如 88 或 12.50。"))
        if amount >= 1_000_000:
            raise ValueError(_l("金额不能超过100万元，请检查是否多输了位数。"))
        if amount < 0 or amount != amount.quantize(Decimal("0.01")):
            raise ValueError(_l("金额应为不超过两位小数的正数。"))
        self.fen = int(amount * 100)

    def _value(self):
        return self.data or ""
