"""Reading a member spreadsheet (CSV or XLSX) into numbered rows for services.import_members."""
import csv
import io
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _

from baiye.errors import DomainError, invalid

from .. import tokens
from .services import MAX_IMPORT_ROWS, category_names

COLUMNS = ("name", "category", "id_number", "phone", "expires_on")
OPTIONAL = ("phone", "station")
# Headers as people write them in a Chinese spreadsheet.
ALIASES = {
    "姓名": "name", "类别": "category", "优待对象类别": "category", "身份证号": "id_number",
    "身份证号码": "id_number", "公民身份号码": "id_number", "手机号": "phone", "手机": "phone",
    "联系电话": "phone", "电话": "phone", "有效期至": "expires_on", "有效期": "expires_on",
    "截止日期": "expires_on", "服务站": "station", "发证服务站": "station", "station": "station",
}


# What an XLSX of MAX_IMPORT_ROWS members unpacks to is a few MB; a file that unpacks to more is no member list
# (a zip bomb inflates to gigabytes), and is refused before openpyxl opens it.
XLSX_MAX_UNPACKED_BYTES = 32 * 1024 * 1024
MAX_COLUMNS = 64  # the header is looked for in this many columns; a sheet declared wider is refused
HEADER_ROWS = 100  # the header is the first row with text, within this many rows


# The template's headings (ALIASES reads them back) and its example row, which the import skips: a coordinator who
# leaves it in enrols nobody called 张三. Its ID number is well formed (so the row shows how one looks) and belongs
# to no one (born 1900-01-01).
TEMPLATE_HEADINGS = {"name": "姓名", "category": "类别", "id_number": "身份证号", "phone": "手机号",
                     "expires_on": "有效期至"}
EXAMPLE_NAME = "张三（示例）"
EXAMPLE_ID = "11010119000101001" + tokens.id_check_char("11010119000101001")


def example_row(today):
    """The template's one example row ({column: text}), valid until the end of the year after next."""
    return {"name": EXAMPLE_NAME, "category": "退役军人", "id_number": EXAMPLE_ID, "phone": "13800138000",
            "expires_on": date(today.year + 2, 12, 31).isoformat()}


def template_file(fmt, today):
    """The import template as (filename, mimetype, bytes): the Chinese headings and one example row."""
    from reports.exports import append_values  # the one place that writes a sheet's text safely

    headings = [TEMPLATE_HEADINGS[c] for c in COLUMNS]
    example = [example_row(today)[c] for c in COLUMNS]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerows([headings, example])
        return ("members-template.csv", "text/csv; charset=utf-8", ("\ufeff" + out.getvalue()).encode("utf-8"))
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "优待对象"
    append_values(sheet, headings)
    append_values(sheet, example)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDE", (14, 12, 22, 15, 13)):
        sheet.column_dimensions[letter].width = width
        for cell in sheet[letter][1:]:
            cell.number_format = "@"  # text: Excel would show an ID number as 1.10101E+17 and drop its last digits
    out = io.BytesIO()
    book.save(out)
    return ("members-template.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            out.getvalue())


@dataclass
class Sheet:
    """The numbered rows of an uploaded list, and each column's heading as the file writes it."""

    rows: list
    headings: dict = field(default_factory=dict)


def read_rows(filename, content):
    """[(row_number, {column: text})] from a CSV or XLSX file; row 1 is the header (see `read_sheet`)."""
    return read_sheet(filename, content).rows


def read_sheet(filename, content):
    """A Sheet of [(row_number, {column: text})] from a CSV or XLSX file, and its headings.

    Unreadable files and missing columns are a 422 on the `file` field; a file of more than MAX_IMPORT_ROWS
    rows is a 413, decided as soon as the row past the cap is read.
    """
    if not content:
        raise invalid({"file": [_("请选择要导入的文件。")]})
    name = (filename or "").lower()
    if content[:2] == b"PK" or name.endswith(".xlsx"):
        reader = _xlsx
    elif name.endswith((".csv", ".txt")) or not name:
        reader = _csv
    else:
        raise invalid({"file": [_("只支持 CSV 或 XLSX（Excel）文件。")]})
    try:
        with reader(content) as (header, headings, body):
            return Sheet(_records(header, body), headings)
    except UNREADABLE:  # the parsers read lazily: a damaged sheet or an oversized CSV field shows up here
        raise invalid({"file": [_("无法读取该文件的内容，请在 Excel 中另存为 .xlsx 或 UTF-8 编码的 CSV 后重试。")]}) from None


# What a damaged or hostile file makes csv and openpyxl raise while its rows are read (an XML error is a
# SyntaxError; defusedxml's refusal of an entity is a ValueError); not DomainError, which carries its own message.
UNREADABLE = (csv.Error, ValueError, IndexError, KeyError, TypeError, SyntaxError, EOFError, OSError,
              zipfile.BadZipFile)


def too_many_rows():
    message = _("一次最多导入 %(n)d 行，请分批导入。", n=MAX_IMPORT_ROWS)
    return DomainError("too_large", message, 413, fields={"file": [message]})


def _records(header, body):
    """The rows of `body` under `header` ({index: column}); blank rows are skipped; past MAX_IMPORT_ROWS: 413."""
    categories = category_names()
    rows = []
    for number, cells in body:
        record = {}
        for index, column in header.items():
            value = cells[index] if index < len(cells) else None
            record[column] = _cell_text(column, value)
        if not any(record.values()):
            continue  # blank lines at the end of a sheet
        if record.get("name") == EXAMPLE_NAME and tokens.normalise_id_number(record.get("id_number")) == EXAMPLE_ID:
            continue  # the template's example
        if len(rows) == MAX_IMPORT_ROWS:
            raise too_many_rows()
        category = (record.get("category") or "").strip()
        record["category"] = categories.get(category, category)
        rows.append((number, {k: v for k, v in record.items() if v is not None or k not in OPTIONAL}))
    return rows


@contextmanager
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
    table = enumerate(csv.reader(io.StringIO(text, newline=""), dialect), 1)
    number, header, headings = _header(table)
    yield header, headings, table


@contextmanager
def _xlsx(content):
    """The header and the rows of the first sheet, streamed (openpyxl read-only), only the columns the import
    needs. An archive that unpacks to more than XLSX_MAX_UNPACKED_BYTES, or a sheet declared wider than
    MAX_COLUMNS or longer than the cap, is refused before any row is read."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise invalid({"file": [_("无法读取该 Excel 文件，请另存为 .xlsx 或 CSV 后重试。")]}) from None
    if unpacked > XLSX_MAX_UNPACKED_BYTES:
        message = _("该 Excel 文件解压后超过 %(n)d MB，不像一份优待对象名单。请只保留名单的列和行后重试。",
                    n=XLSX_MAX_UNPACKED_BYTES // (1024 * 1024))
        raise DomainError("too_large", message, 413, fields={"file": [message]})
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, SyntaxError):
        raise invalid({"file": [_("无法读取该 Excel 文件，请另存为 .xlsx 或 CSV 后重试。")]}) from None
    try:
        sheet = book.worksheets[0]
        # The size the sheet declares (<dimension>; absent in some files, which are then held to the cap as
        # they are read): a list of members is a few columns wide and at most the cap long.
        if (sheet.max_column or 0) > MAX_COLUMNS:
            message = _("表格有 %(n)d 列，不像一份优待对象名单。请只保留名单所需的列后重试。", n=sheet.max_column)
            raise invalid({"file": [message]}, message)
        if (sheet.max_row or 0) > MAX_IMPORT_ROWS + HEADER_ROWS:
            raise too_many_rows()
        number, header, headings = _header(enumerate(
            sheet.iter_rows(max_row=HEADER_ROWS, max_col=MAX_COLUMNS, values_only=True), 1))
        body = sheet.iter_rows(min_row=number + 1, max_col=max(header) + 1, values_only=True)
        yield header, headings, enumerate(body, number + 1)
    finally:
        book.close()


def _header(table):
    """(its row number, {column index: column}, {column: its heading in the file}) of the first row with text; the
    rest of `table` is the body."""
    for number, cells in table:
        names = [str(c or "").strip().lstrip("\ufeff") for c in cells]
        if not any(names):
            continue
        header, headings = {}, {}
        for index, raw in enumerate(names):
            column = ALIASES.get(raw, raw.lower())
            if (column in COLUMNS or column == "station") and column not in headings:
                header[index] = column
                headings[column] = raw
        missing = [c for c in COLUMNS if c not in header.values() and c not in OPTIONAL]
        if missing:  # named as the template heads them (the English key after: a file may use either)
            raise invalid({"file": [_("第 %(row)d 行的表头缺少：%(cols)s。表头应为：%(all)s（可下载模板对照）。", row=number,
                                      cols=_("、").join(f"{TEMPLATE_HEADINGS[c]}（{c}）" for c in missing),
                                      all=_("、").join(TEMPLATE_HEADINGS[c] for c in COLUMNS))]})
        return number, header, headings
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
