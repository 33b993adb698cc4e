"""One workbook writer: tables (polars frames) as the sheets of one ``.xlsx`` file.

Used for the nightly report's tables and the partner extracts: any set of tables a planner
opens in a spreadsheet. Text cells that a spreadsheet would run as a formula are neutralised
exactly as in the CSV files (``reports.spreadsheet``), and every cell is written as a value,
never as a formula, so the workbook reads back equal to the CSV extracts of the same tables.

The sheets are written as SpreadsheetML straight from the frames: each cell's XML is built
column by column by polars (a workbook of the large night holds ~10,000 rows and ~80,000
cells; a cell-by-cell writer in Python took seconds of the report's time budget). Text is
written inline (``t="inlineStr"``) and escaped as Excel does: XML's ``& < >``, control
characters as ``_xHHHH_`` (and a literal ``_xHHHH_`` as ``_x005F_xHHHH_``).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

import polars as pl

from reports.spreadsheet import neutralise

__all__ = ["MAX_ROWS", "MAX_TEXT", "sheet_name", "write_workbook"]

MAX_ROWS = 1_048_575
"""Rows a sheet holds below its header."""
MAX_TEXT = 32_767
"""Characters a cell holds; longer text is cut to this."""
_BAD = re.compile(r"[\[\]:*?/\\]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_ESCAPED = r"(_x[0-9a-fA-F]{4}_)"
_CHUNK = 20_000
"""Rows turned into XML at a time (bounds the memory of a long sheet)."""

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{_NS}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<worksheet xmlns="{_NS}" xmlns:r="{_REL}"><sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft"/></sheetView></sheetViews>'
    '<sheetFormatPr defaultRowHeight="15"/><sheetData>'
)


def sheet_name(name: str, taken: set[str] | None = None) -> str:
    """A valid, unique sheet name for ``name`` (at most 31 characters, none of ``[]:*?/\\``)."""
    base = _BAD.sub("_", name)[:31] or "sheet"
    out, n = base, 2
    while taken is not None and out.lower() in {t.lower() for t in taken}:
        suffix = f"~{n}"
        out, n = base[: 31 - len(suffix)] + suffix, n + 1
    return out


def _column_letters(j: int) -> str:
    letters = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _escape_one(text: str) -> str:
    """``text`` as the character data of a ``<t>`` element, escaped as Excel does."""
    text = re.sub(_ESCAPED, r"_x005F\1", text[:MAX_TEXT])
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escaped(text: pl.Expr, control: bool) -> pl.Expr:
    """``_escape_one`` for a text column, in polars; a column with control characters (rare)
    goes through Python."""
    if control:
        return text.map_elements(_escape_one, return_dtype=pl.String)
    return (
        text.str.slice(0, MAX_TEXT)
        .str.replace_all(_ESCAPED, "_x005F$1")
        .str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )


def _as_text(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _cell(column: pl.Series, ref: pl.Expr) -> pl.Expr:
    """The ``<c>`` element of each cell of ``column`` (null for an empty cell): numbers as
    numbers, booleans as booleans, dates as ISO text, everything else as text."""
    col, dtype = pl.col(column.name), column.dtype
    if dtype == pl.Boolean:
        return pl.format('<c r="{}" t="b"><v>{}</v></c>', ref, col.cast(pl.Int8))
    if dtype.is_numeric():
        finite = col.cast(pl.Float64).is_finite() if dtype.is_float() else col.is_not_null()
        number = pl.format('<c r="{}"><v>{}</v></c>', ref, col.cast(pl.String))
        return pl.when(finite).then(number)
    if dtype == pl.String:
        text, values = col, column
    elif dtype == pl.Date:
        text, values = col.cast(pl.String), column.cast(pl.String)
    else:
        values = column.map_elements(_as_text, return_dtype=pl.String)
        text = col.map_elements(_as_text, return_dtype=pl.String)
    control = bool(values.str.contains(_CONTROL.pattern).any())
    return pl.format(
        '<c r="{}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>',
        ref,
        _escaped(text, control),
    )


def _rows_xml(frame: pl.DataFrame, first_row: int) -> str:
    """The ``<row>`` elements of ``frame``, the first numbered ``first_row``."""
    n = pl.int_range(first_row, first_row + pl.len()).cast(pl.String)
    cells = [_cell(column, pl.lit(_column_letters(j)) + n) for j, column in enumerate(frame)]
    row = pl.concat_str([pl.format('<row r="{}">', n), *cells, pl.lit("</row>")], ignore_nulls=True)
    return "".join(frame.select(row.alias("xml")).get_column("xml").to_list())


def _sheet_xml(frame: pl.DataFrame) -> list[str]:
    header = "".join(
        f'<c r="{_column_letters(j)}1" s="1" t="inlineStr"><is><t xml:space="preserve">'
        f"{_escape_one(c)}</t></is></c>"
        for j, c in enumerate(frame.columns)
    )
    parts = [_SHEET_HEAD, f'<row r="1">{header}</row>']
    for start in range(0, frame.height, _CHUNK):
        parts.append(_rows_xml(frame.slice(start, _CHUNK), start + 2))
    parts.append("</sheetData></worksheet>")
    return parts


def write_workbook(tables: Mapping[str, pl.DataFrame], path: str | Path) -> list[str]:
    """Write each frame as a sheet (in order) with a bold, frozen header row; dates as ISO
    text (as in the CSV files), numbers as numbers, nulls, NaN and infinities as empty cells.
    A frame longer than a sheet is refused. Returns the sheet names."""
    for name, frame in tables.items():
        if frame.height > MAX_ROWS:
            raise ValueError(f"table {name!r} has {frame.height:,} rows: more than a sheet holds")
    names: list[str] = []
    for name in tables:
        names.append(sheet_name(name, set(names)))
    sheets = "".join(
        f'<sheet name="{_escape_one(s).replace(chr(34), "&quot;")}" sheetId="{k}" r:id="rId{k}"/>'
        for k, s in enumerate(names, 1)
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><bookViews><workbookView/></bookViews>'
        f"<sheets>{sheets}</sheets></workbook>"
    )
    rels = "".join(
        f'<Relationship Id="rId{k}" Type="{_REL}/worksheet" Target="worksheets/sheet{k}.xml"/>'
        for k in range(1, len(names) + 1)
    )
    rels += f'<Relationship Id="rId{len(names) + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as book:
        types = "".join(_SHEET_TYPE.format(n=k) for k in range(1, len(names) + 1))
        book.writestr("[Content_Types].xml", _CONTENT_TYPES.format(sheets=types))
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", workbook)
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{_PKG}">{rels}</Relationships>',
        )
        book.writestr("xl/styles.xml", _STYLES)
        for k, frame in enumerate(tables.values(), 1):
            safe = neutralise(frame.with_columns(pl.col(pl.Object).cast(pl.String)))
            with book.open(f"xl/worksheets/sheet{k}.xml", "w") as fh:
                for part in _sheet_xml(safe):
                    fh.write(part.encode("utf-8"))
    return names
