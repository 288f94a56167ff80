"""Checks shared by every area: row ids, text a person types, and Chinese identifiers (phones and business
licences)."""
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate

from baiye import lists
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
    if not (text.isascii() and text.isdigit() and len(text) <= 10):  # "²" is a digit to isdigit(), not to int()
        return None
    number = int(text)
    return number if is_row_id(number) else None


# A date a query may name (a period's end, a filter).
DAY_IN_RANGE = validate.Range(min=FIRST_DAY, max=LAST_DAY, error=_l("日期应在2000年至2099年之间。"))

# Every day of 2000-01-01..2099-12-31 written YYYY-MM-DD, and nothing else (a year of this century is a leap year
# when it divides by 4). For the OpenAPI document: ECMA 262 and Python read it alike.
DAY_PATTERN = ("^(?:20[0-9]{2}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
               "|02-(?:0[1-9]|1[0-9]|2[0-8]))|20(?:[02468][048]|[13579][26])-02-29)$")
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Day(fields.Date):
    """A day, written YYYY-MM-DD in ASCII digits and nothing else (marshmallow's own Date also takes "2030-1-5",
    other scripts' digits and a trailing line break), within FIRST_DAY..LAST_DAY. `blank=True` (a query
    filter): an empty value is None, no bound."""

    def __init__(self, *, blank=False, **kwargs):
        self.blank = blank
        kwargs["validate"] = [DAY_IN_RANGE, *validators_of(kwargs.get("validate"))]
        kwargs["metadata"] = {"pattern": DAY_PATTERN, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if self.blank and value == "":
            value = None
        return super().deserialize(value, attr, data, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not ISO_DAY.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def validators_of(validate_argument):
    if validate_argument is None:
        return []
    return list(validate_argument) if isinstance(validate_argument, (list, tuple)) else [validate_argument]


class InList(validate.Validator):
    """One of the keys of a deployment list (baiye.lists: INDUSTRIES, STREETS, CATEGORIES). `choices` is read
    when asked, so the OpenAPI document lists the deployment's own keys (apispec reads it as OneOf's)."""

    def __init__(self, list_name, error):
        self.list_name, self.error = list_name, error

    @property
    def choices(self):
        return lists.keys(self.list_name)

    def __call__(self, value):
        if value not in self.choices:
            raise ValidationError(str(self.error))  # a str, so that marshmallow lists it
        return value

class Pattern(validate.Regexp):
    """validate.Regexp held to the whole value (re.fullmatch): Python's `$` also matches before a final line break,
    so `^[a-z]+$` takes "abc\\n" where ECMA 262, which the OpenAPI document's pattern speaks, does not."""

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self.error.format(input=value, regex=self.regex.pattern))  # as Regexp's message
        return value


# Characters no one types and no page shows: C0 controls but tab and line breaks, and DEL. Spreadsheets
# (XLSX) cannot hold them, and PostgreSQL cannot store NUL.
CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
CONTROL_CHARACTERS = re.compile(f"[{CONTROLS}]")
# What str.strip() takes off the ends (str.isspace), without the control characters among them.
SPACES = r"\t\n\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# ... and with them (for fields that are stripped without a look at control characters).
ALL_SPACES = SPACES + r"\x0b\x0c\x1c-\x1f"


class Text(fields.String):
    """Text a person types (a name, an address, a reason): control characters are refused and the most it may
    hold is counted as sent; then it is trimmed, and the least is counted on what is left, so spaces alone are no
    name (a required field says it is missing); blank is None where the field may be left out. The OpenAPI
    document says the same in a pattern (text_pattern)."""

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if isinstance(value, str):
            if CONTROL_CHARACTERS.search(value):
                raise ValidationError(_("含有无法显示的控制字符，请删除后重新填写。"))
            for check in self.validators:
                if isinstance(check, validate.Length) and check.max is not None and len(value) > check.max:
                    check(value)  # its own message
            value = value.strip()
            if not value and self.required:
                raise self.make_error("required")  # "please fill this in", not a length
            if not value and self.allow_none:
                value = None
        return super().deserialize(value, attr, data, **kwargs)

    def required_in_document(self):
        """Required, by the field or (metadata `required_by_service`) by the service it is handed to."""
        return self.required or bool(self.metadata.get("required_by_service"))

    def least(self):
        """The fewest characters the trimmed text may hold (1 when required)."""
        lengths = [check.min for check in self.validators if isinstance(check, validate.Length) and check.min]
        return max([1 if self.required_in_document() else 0, *lengths])

    def text_pattern(self):
        """A pattern (ECMA 262) for what this field takes: no control characters, and when a least length
        applies, that many characters between the first and the last that are not spaces; blank too where the
        field may be left out."""
        allowed, solid = f"[^{CONTROLS}]", f"[^{CONTROLS}{SPACES}]"
        least = self.least()
        if not least:
            return f"^{allowed}*$"
        body = f"{allowed}*{solid}" + (f"{allowed}{{{least - 2},}}{solid}" if least > 1 else "") + f"{allowed}*"
        return f"^(?:{body}|[{SPACES}]*)$" if self.allow_none and not self.required_in_document() else f"^{body}$"


# Digits are ASCII: \d would take other scripts' digits too (a full-width "１３８...").
PHONE = "1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}"
PHONE_RE = re.compile(f"(?:{PHONE})")
PHONE_PATTERN = f"^[{ALL_SPACES}]*(?:{PHONE})[{ALL_SPACES}]*$"  # for the OpenAPI document: spaces around are trimmed

# GB 32100-2015 unified social credit code.
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_RE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
# For the OpenAPI document: the form of a code (in either case, spaces around trimmed) or a 15-digit registration
# number; the check character is named by the format, "uscc".
LICENCE_PATTERN = (f"^[{ALL_SPACES}]*(?:[0-9]{{15}}|[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{{2}}[0-9]{{6}}"
                   f"[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{{10}})[{ALL_SPACES}]*$")


def uscc_check_char(first17):
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_CHARS[(31 - total % 31) % 31]


def valid_licence(value):
    """An 18-character unified social credit code with its check character, or a 15-digit registration number."""
    value = value.strip()
    if not value.isascii():  # before upper(), which makes "ﬀ" two letters
        return False
    value = value.upper()
    if re.fullmatch(r"[0-9]{15}", value):
        return True
    return bool(USCC_RE.fullmatch(value)) and uscc_check_char(value[:17]) == value[17]


def check_phone(value):
    if not PHONE_RE.fullmatch(value.strip()):
        raise ValidationError(_("请输入11位手机号或带区号的固定电话。"))


def check_licence(value):
    if valid_licence(value):
        return
    value = value.strip().upper()
    if USCC_RE.match(value):  # 18 characters of the right kinds: only the last does not add up
        raise ValidationError(_("营业执照号校验位不符，请逐位核对（最后一位是校验位）。"))
    raise ValidationError(_("营业执照号应为18位统一社会信用代码（或15位注册号），请核对。"))
