"""Tables as files: CSV (UTF-8 with a byte-order mark, so Excel shows Chinese) and XLSX."""
import csv
import io
import re

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

# The files are for people (programs read the JSON breakdown): no list keys, money in yuan. A shop keeps its number,
# which finds it on the site.
BREAKDOWN_COLUMNS = ("label", "redemptions", "beneficiaries", "bill", "discount")
SHOP_COLUMNS = ("key",) + BREAKDOWN_COLUMNS
MONEY = {"bill", "discount", "amount"}
COUNTS = {"redemptions", "beneficiaries", "count"}
SHARES = {"share"}  # a fraction, shown as a percentage
SHEET_NAME_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")  # characters a sheet's name cannot hold (按街道/乡镇)
# Text starting with one of these is a formula to a spreadsheet: a shop's name must not run in the coordinator's
# Excel ("CSV injection", OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_value(value):
    """A value as a CSV cell: blank for None; text a spreadsheet would run gets a leading apostrophe."""
    if value is None:
        return ""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def append_values(sheet, values):
    """A row of values, text kept as text: without the control characters an XLSX file cannot hold (names
    typed before they were refused), and never a formula (openpyxl takes text starting with "=" for one)."""
    sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values])
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


def headers(label=None):
    """Column headings in the request's language; `label` names the label column (行业, 日期, ...)."""
    return {"key": _("编号"), "label": label or _("名称"), "redemptions": _("核销笔数"), "beneficiaries": _("服务人数"),
            "bill": _("消费金额（元）"), "discount": _("让利金额（元）"), "count": _("数量"), "amount": _("金额（元）"), "phone": _("联系电话"),
            "street": _("街道/乡镇"), "industry": _("行业"), "approved_on": _("通过审核日"),
            "last_day": _("最近核销日")}


def to_csv(columns, rows, names):
    """The rows under headings in the request's language (`names`); amounts in yuan with two decimals, as the
    shop's own CSV has them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([names.get(c, c) for c in columns])
    for row in rows:
        writer.writerow([csv_value(f"{row[c] / 100:.2f}" if c in MONEY and row.get(c) is not None else row.get(c))
                         for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(title, subtitle, columns, rows, names, total_label=None):
    """A workbook of one sheet (see `add_sheet`), as bytes."""
    book = new_workbook()
    add_sheet(book, _("统计"), title, subtitle, columns, rows, names, total_label)
    return workbook_bytes(book)


def new_workbook():
    """A workbook without sheets, for `add_sheet`."""
    book = Workbook()
    book.remove(book.active)
    return book


def workbook_bytes(book):
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def add_sheet(book, name, title, subtitle, columns, rows, names, total_label=None, totals=True):
    """A sheet called `name` with a title row (what and for which period and filters), headers, and formatted columns.

    Amounts are shown in yuan with two decimals; counts as whole numbers; shares as percentages. The 合计 row
    (unless `totals` is false) sums the amounts and counts; a table without any (a list of shops) says how many
    rows it has, `total_label`.
    """
    sheet = book.create_sheet(SHEET_NAME_FORBIDDEN.sub("、", ILLEGAL_CHARACTERS_RE.sub("", name))[:31])
    append_values(sheet, [title])
    append_values(sheet, [subtitle])
    sheet.append([names.get(c, c) for c in columns])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"].font = Font(color="555555")
    width = len(columns)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F6EDE3")
        cell.alignment = Alignment(horizontal="center")
    for row in rows:
        values = []
        for c in columns:
            value = row.get(c)
            values.append(value / 100 if c in MONEY and value is not None else value)
        append_values(sheet, values)
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        fmt = "#,##0.00" if column in MONEY else "#,##0" if column in COUNTS else "0.0%" if column in SHARES else "@"
        longest = max([len(str(names.get(column, column))) * 2] +
                      [len(str(r.get(column) or "")) + 2 for r in rows[:500]])
        sheet.column_dimensions[letter].width = min(max(10, longest), 40)
        for cell in sheet[letter][3:]:
            cell.number_format = fmt
    if rows and totals:
        total_row = len(rows) + 4
        sheet.cell(row=total_row, column=1, value=_("合计")).font = Font(bold=True)
        if total_label:
            sheet.cell(row=total_row, column=2, value=total_label).font = Font(bold=True)
        for index, column in enumerate(columns, start=1):
            if column in MONEY or column == "redemptions":
                letter = get_column_letter(index)
                cell = sheet.cell(row=total_row, column=index, value=f"=SUM({letter}4:{letter}{total_row - 1})")
                cell.font = Font(bold=True)
                cell.number_format = "#,##0.00" if column in MONEY else "#,##0"
    sheet.freeze_panes = "A4"
    return sheet
