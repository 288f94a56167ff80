"""Marshmallow's built-in messages in the request's language.

Marshmallow words its errors in English; they are translated on the way out (API and forms
alike), so schemas keep their plain declarations. Our own messages are already lazy gettext.
"""
import re

from flask_babel import gettext as _

PATTERNS = [
    (r"Missing data for required field\.", lambda m: _("此项为必填。")),
    (r"Field may not be null\.", lambda m: _("此项不能为空。")),
    (r"Not a valid string\.", lambda m: _("请输入文本。")),
    (r"Not a valid integer\.", lambda m: _("请输入整数。")),
    (r"Not a valid number\.", lambda m: _("请输入数字。")),
    (r"Not a valid boolean\.", lambda m: _("请输入 true 或 false。")),
    (r"Not a valid date\.", lambda m: _("日期格式应为 YYYY-MM-DD。")),
    (r"Not a valid datetime\.", lambda m: _("时间格式不正确。")),
    (r"Not a valid list\.", lambda m: _("应为列表。")),
    (r"Not a valid mapping type\.|Invalid input type\.", lambda m: _("格式不正确。")),
    (r"Number too large\.", lambda m: _("数字太大。")),
    (r"Invalid value\.|String does not match expected pattern\.", lambda m: _("格式不正确。")),
    (r"Must be one of: .*", lambda m: _("不是可选的值。")),
    (r"Shorter than minimum length (\S+)\.", lambda m: _("至少需要 %(n)s 个字符。", n=m[1])),
    (r"Longer than maximum length (\S+)\.", lambda m: _("不能超过 %(n)s 个字符。", n=m[1])),
    (r"Length must be between (\S+) and (\S+)\.", lambda m: _("长度应在 %(a)s 到 %(b)s 之间。", a=m[1], b=m[2])),
    (r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.",
     lambda m: _("应在 %(a)s 到 %(b)s 之间。", a=m[1], b=m[2])),
    (r"Must be greater than or equal to (\S+)\.", lambda m: _("不能小于 %(a)s。", a=m[1])),
    (r"Must be less than or equal to (\S+)\.", lambda m: _("不能大于 %(b)s。", b=m[1])),
    (r"Unknown field\.", lambda m: _("未知字段。")),
]
def N_(text):
    """Mark a message for extraction; it is translated with `_()` where it is shown."""
    return text


COMPILED = [(re.compile(f"^{pattern}$"), render) for pattern, render in PATTERNS]


def localise(messages):
    """The same nested shape, every message a translated str, and each field's messages a list (marshmallow
    leaves a lazy message, as from `error_messages`, unlisted)."""
    if isinstance(messages, dict):
        return {str(key): localise(value if isinstance(value, (dict, list, tuple)) else [value])
                for key, value in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [localise(m) for m in messages]
    text = str(messages)
    for pattern, render in COMPILED:
        match = pattern.match(text)
        if match:
            return render(match)
    return text
