"""Reading a member spreadsheet (CSV or XLSX) into numbered rows for services.import_members."""
import csv
import io
import zipfile
from datetime import date, datetime

from flask_babel import gettext as _

from baiye.errors import invalid

from .services import category_names

COLUMNS = ("name", "category", "id_number", "phone", "expires_on")
OPTIONAL = ("phone", "station")
# Headers as people write them in a Chinese spreadsheet.
ALIASES = {
    "姓名": "name", "类别": "category", "优待对象类别": "category", "身份证号": "id_number",
    "身份证号码": "id_number", "公民身份号码": "id_number", "手机号": "phone", "手机": "phone",
    "联系电话": "phone", "电话": "phone", "有效期至": "expires_on", "有效期": "expires_on",
    "截止日期": "expires_on", "服务站": "station", "发证服务站": "station", "station": "station",
}


def read_rows(filename, content):
    """[(row_number, {column: text})] from a CSV or XLSX file; row 1 is the header.

    Unreadable files and missing columns are a 422 on the `file` field.
    """
    if not content:
        raise invalid({"file": [_("请选择要导入的文件。")]})
    name = (filename or "").lower()
    if content[:2] == b"PK" or name.endswith(".xlsx"):
        table = _xlsx(content)
    elif name.endswith((".csv", ".txt")) or not name:
        table = _csv(content)
    else:
        raise invalid({"file": [_("只支持 CSV 或 XLSX（Excel）文件。")]})
    try:
        return _records(table)
    except UNREADABLE:  # the parsers read lazily: a damaged sheet or an oversized CSV field shows up here
        raise invalid({"file": [_("无法读取该文件的内容，请在 Excel 中另存为 .xlsx 或 UTF-8 编码的 CSV 后重试。")]}) from None


# What a damaged or hostile file makes csv and openpyxl raise while its rows are read (an XML error is a
# SyntaxError); not DomainError, which carries the header's own message.
UNREADABLE = (csv.Error, ValueError, IndexError, KeyError, TypeError, SyntaxError, EOFError, OSError,
              zipfile.BadZipFile)


def _records(table):
    header, body = _header(table)
    categories = category_names()
    rows = []
    for number, cells in body:
        record = {}
        for index, column in header.items():
            value = cells[index] if index < len(cells) else None
            record[column] = _cell_text(column, value)
        if not any(record.values()):
            continue  # blank lines at the end of a sheet
        category = (record.get("category") or "").strip()
        record["category"] = categories.get(category, category)
        rows.append((number, {k: v for k, v in record.items() if v is not None or k not in OPTIONAL}))
    return rows


def _csv(content):
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise invalid({"file": [_("无法识别文件编码，请另存为 UTF-8 编码的 CSV。")]})
    try:
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    return ((number, row) for number, row in enumerate(csv.reader(io.StringIO(text, newline=""), dialect), 1))


def _xlsx(content):
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise invalid({"file": [_("无法读取该 Excel 文件，请另存为 .xlsx 或 CSV 后重试。")]}) from None
    sheet = book.worksheets[0]
    return ((number, list(row)) for number, row in enumerate(sheet.iter_rows(values_only=True), 1))


def _header(table):
    for number, cells in table:
        names = [str(c or "").strip().lstrip("\ufeff") for c in cells]
        if not any(names):
            continue
        header = {}
        for index, raw in enumerate(names):
            column = ALIASES.get(raw, raw.lower())
            if column in COLUMNS or column == "station":
                header.setdefault(index, column)
        missing = [c for c in COLUMNS if c not in header.values() and c not in OPTIONAL]
        if missing:
            raise invalid({"file": [_("第 %(row)d 行的表头缺少列：%(cols)s。应有：%(all)s",
                                      row=number, cols=", ".join(missing), all=", ".join(COLUMNS))]})
        return header, table
    raise invalid({"file": [_("文件是空的。")]})


def _cell_text(column, value):
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not text:
        return None
    if column == "expires_on":
        text = text.replace("/", "-").replace(".", "-").split(" ")[0]
        parts = text.split("-")
        if len(parts) == 3 and all(p.isdecimal() and len(p) <= 4 for p in parts):  # else the row's date is refused
            text = f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"
    return text
