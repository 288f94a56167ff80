"""Checks shared by every area: row ids, text a person types, and Chinese identifiers (phones and business
licences)."""
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate

from baiye.clock import FIRST_DAY, LAST_DAY

# The largest integer key every supported database holds (PostgreSQL's INTEGER).
MAX_ROW_ID = 2**31 - 1


def is_row_id(value):
    """Whether `value` can be a row's id: a positive int up to MAX_ROW_ID (a bool is not one). Checked before a
    lookup, so that a number out of range finds nothing rather than making PostgreSQL raise an error."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ROW_ID


def row_id_from_digits(text):
    """The row id a string of digits (from a URL or a cookie) names, or None when it names none. More than
    ten digits is refused before int(), which raises on a number of thousands of digits."""
    if not (text.isdigit() and len(text) <= 10):
        return None
    number = int(text)
    return number if is_row_id(number) else None


# A date a query may name (a period's end, a filter).
DAY_IN_RANGE = validate.Range(min=FIRST_DAY, max=LAST_DAY, error=_l("日期应在2000年至2099年之间。"))

# Characters no one types and no page shows: C0 controls but tab and line breaks, and DEL. Spreadsheets
# (XLSX) cannot hold them, and PostgreSQL cannot store NUL.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Text(fields.String):
    """Text a person types (a name, an address, a reason): trimmed before its length is checked, so spaces
    alone are no name (a required field says it is missing); blank is None where the field may be left out;
    control characters are refused."""

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if isinstance(value, str):
            value = value.strip()
            if not value and self.required:
                raise self.make_error("required")  # "please fill this in", not a length
            if not value and self.allow_none:
                value = None
        return super().deserialize(value, attr, data, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if CONTROL_CHARACTERS.search(text):
            raise ValidationError(_("含有无法显示的控制字符，请删除后重新填写。"))
        return text


PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")

# GB 32100-2015 unified social credit code.
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def uscc_check_char(first17):
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_CHARS[(31 - total % 31) % 31]


def valid_licence(value):
    """An 18-character unified social credit code with its check character, or a 15-digit registration number."""
    value = value.strip().upper()
    if re.fullmatch(r"\d{15}", value):
        return True
    return bool(USCC_RE.match(value)) and uscc_check_char(value[:17]) == value[17]


def check_phone(value):
    if not PHONE_RE.match(value.strip()):
        raise ValidationError(_("请输入11位手机号或带区号的固定电话。"))


def check_licence(value):
    if valid_licence(value):
        return
    value = value.strip().upper()
    if USCC_RE.match(value):  # 18 characters of the right kinds: only the last does not add up
        raise ValidationError(_("营业执照号校验位不符，请逐位核对（最后一位是校验位）。"))
    raise ValidationError(_("营业执照号应为18位统一社会信用代码（或15位注册号），请核对。"))
