"""Small generators of hostile spreadsheets, built in memory by the tests (no big binaries in git)."""
import io
import zipfile

from openpyxl import Workbook

HEADER = ["name", "category", "id_number", "phone", "expires_on"]


def xlsx_with_sheet(sheet_xml_parts, compresslevel=6):
    """An XLSX (a workbook openpyxl writes) whose first sheet's XML is `sheet_xml_parts` (bytes, streamed in)."""
    book = Workbook()
    book.active.append(HEADER)
    whole, out = io.BytesIO(), io.BytesIO()
    book.save(whole)
    with zipfile.ZipFile(whole) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED,
                                                       compresslevel=compresslevel) as zout:
        for item in zin.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                with zout.open(item.filename, "w", force_zip64=True) as sheet:
                    for part in sheet_xml_parts:
                        sheet.write(part)
            else:
                zout.writestr(item, zin.read(item.filename))
    return out.getvalue()


SHEET_START = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def inline(ref, text):
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def header_row():
    return b'<row r="1">' + b"".join(inline(f"{col}1", name) for col, name in zip("ABCDE", HEADER)) + b"</row>"


def person_row(number, extra=b""):
    cells = (f"测试{number}", "veteran", "110101199001011234", "13900000000", "2030-01-01")
    return (f'<row r="{number}">'.encode() + b"".join(inline(f"{col}{number}", text) for col, text in zip("ABCDE", cells))
            + extra + b"</row>")


def dimension(ref):
    return f'<dimension ref="{ref}"/>'.encode()


def dimension_bomb():
    """A tiny XLSX that declares A1:XFD1048576 and holds one cell on row 1,048,576."""
    return xlsx_with_sheet([SHEET_START, dimension("A1:XFD1048576"), b"<sheetData>", header_row(),
                            b'<row r="1048576">' + inline("XFD1048576", "x") + b"</row></sheetData></worksheet>"])


def far_row(declared=True):
    """A header and one person on row 1,048,576 (with or without a <dimension> saying so)."""
    return xlsx_with_sheet([SHEET_START, dimension("A1:E1048576") if declared else b"", b"<sheetData>", header_row(),
                            person_row(1048576), b"</sheetData></worksheet>"])


def zip_bomb(megabytes=1024):
    """A small XLSX whose sheet inflates to `megabytes` MB of whitespace."""
    chunk = b" " * (1024 * 1024)
    return xlsx_with_sheet([SHEET_START, b"<sheetData>", header_row(), *(chunk for _ in range(megabytes)),
                            b"</sheetData></worksheet>"], compresslevel=1)


def numbered_rows(rows, declared=True):
    """A header and `rows` rows holding one number each (in column A, the name), as compact as XML allows."""
    def parts():
        yield SHEET_START + (dimension(f"A1:E{rows + 1}") if declared else b"") + b"<sheetData>" + header_row()
        for start in range(2, rows + 2, 10_000):
            yield "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>'
                          for n in range(start, min(start + 10_000, rows + 2))).encode()
        yield b"</sheetData></worksheet>"
    return xlsx_with_sheet(parts(), compresslevel=1)


def wide_rows(rows=20_000, declared=True):
    """`rows` rows of people, each with a cell out at column XFD."""
    def parts():
        yield SHEET_START + (dimension(f"A1:XFD{rows + 1}") if declared else b"") + b"<sheetData>" + header_row()
        for number in range(2, rows + 2):
            yield person_row(number, inline(f"XFD{number}", "x"))
        yield b"</sheetData></worksheet>"
    return xlsx_with_sheet(parts())


def with_doctype(doctype, entity_use):
    """An XLSX whose sheet declares a DTD and uses one of its entities in a cell."""
    return xlsx_with_sheet([b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n', doctype,
                            SHEET_START.split(b"\n", 1)[1], b"<sheetData>", header_row(),
                            b'<row r="2">' + inline("A2", entity_use) + b"</row></sheetData></worksheet>"])


BILLION_LAUGHS = (b'<!DOCTYPE worksheet [<!ENTITY lol "lol">'
                  + b"".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
                             for i in range(1, 10))
                  + b"]>")
EXTERNAL_ENTITY = b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
