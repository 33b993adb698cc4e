"""Validate a data set against the import format (``store.contract``).

Every problem is collected, not just the first: a planner fixing a file wants
the whole list. Checks are vectorised (polars) so that a data set of millions
of consumption rows validates in about the time it takes to parse it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree

import polars as pl

from store.contract import (
    COMPONENT,
    DISTRIBUTIONS,
    FILES,
    MAX_FACTOR,
    PRODUCTION_KINDS,
    STOCK_KINDS,
    UNCERTAINTY_KINDS,
    Column,
    FileSpec,
)
from store.dataset import Dataset
from store.errors import InputRejected, Problem
from store.uncertainty import parameter_problems, target_problem

__all__ = ["Validated", "read_raw_tables", "validate_path"]

LINE = "_line"
MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
ISO3_RE = r"^[A-Z]{3}$"
ID_RE = r"^[\p{L}\p{N}_][\p{L}\p{N}_ .\-/:#()&+']*$"
"""An id: letters and digits of any script, and ``_ - . / : # ( ) & + ' space`` inside. No
control, format (bidi, zero-width) or symbol characters (emoji), and no leading ``= + - @``
that a spreadsheet would run as a formula."""
ID_REASON = (
    "not a valid id: use letters, digits and _ - . / : # ( ) & + ' or a space inside, "
    "starting with a letter, a digit or _ (no control, bidi or emoji characters)"
)
MAX_PROBLEMS_PER_CHECK = 1000

_DTYPES: dict[str, pl.DataType] = {
    "id": pl.String(),
    "text": pl.String(),
    "id_list": pl.String(),
    "number": pl.Float64(),
    "integer": pl.Int32(),
    "month": pl.Date(),
    "date": pl.Date(),
    "bool": pl.Boolean(),
}


@dataclass(frozen=True)
class RawTable:
    """One file's cells as stripped strings (null when empty), with their line numbers."""

    spec: FileSpec
    label: str
    frame: pl.DataFrame


@dataclass(frozen=True)
class Validated:
    dataset: Dataset
    content_hash: str
    row_counts: dict[str, int]


# Reading ---------------------------------------------------------------------------


def _decode(label: str, data: bytes, problems: list[Problem]) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.end + 3]
        problems.append(Problem(label, line, None, repr(bad), "the file is not UTF-8 text"))
        return None


def _field_count_problems(label: str, text: str, width: int) -> list[Problem]:
    """Rows whose number of fields differs from the header's.

    Counting separators is vectorised; files with quotes fall back to the csv module.
    """
    if '"' in text:
        out = []
        reader = csv.reader(io.StringIO(text, newline=""))
        for row in reader:
            if row and len(row) != width and any(cell.strip() for cell in row):
                out.append(
                    Problem(
                        label,
                        reader.line_num,
                        None,
                        None,
                        f"the row has {len(row)} fields, the header has {width}",
                    )
                )
        return out
    lines = pl.Series("l", text.split("\n")).str.strip_suffix("\r")
    counts = lines.str.count_matches(",", literal=True) + 1
    bad = pl.DataFrame({"n": counts, "blank": lines.str.strip_chars() == ""}).with_row_index(
        "i", offset=1
    )
    bad = bad.filter((pl.col("n") != width) & ~pl.col("blank"))
    return [
        Problem(label, i, None, None, f"the row has {n} fields, the header has {width}")
        for i, n, _ in bad.head(MAX_PROBLEMS_PER_CHECK).iter_rows()
    ]


def _header_problems(spec: FileSpec, label: str, header: list[str]) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(label, 1, name, name, "the column appears twice"))
        seen.add(name)
        if name not in spec.column_names:
            problems.append(
                Problem(
                    label,
                    1,
                    name,
                    name,
                    f"unknown column; {spec.name} has only {', '.join(spec.column_names)}",
                )
            )
    for col in spec.columns:
        if col.required and col.name not in seen:
            problems.append(Problem(label, 1, col.name, None, "required column is missing"))
    return problems


def _frame_from_rows(
    spec: FileSpec, header: list[str], rows: list[list[str | None]]
) -> pl.DataFrame:
    data = {name: [r[i] if i < len(r) else None for r in rows] for i, name in enumerate(header)}
    frame = pl.DataFrame(data, schema={h: pl.String for h in header})
    return frame.with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64))


def _tidy(frame: pl.DataFrame, spec: FileSpec) -> pl.DataFrame:
    """Strip cells, turn empty cells into nulls, drop blank rows, add missing optional columns."""
    cols = [c for c in frame.columns if c != LINE]
    frame = frame.with_columns(pl.col(c).str.strip_chars().replace("", None).alias(c) for c in cols)
    if cols:
        frame = frame.filter(~pl.all_horizontal(pl.col(c).is_null() for c in cols))
    missing = [c.name for c in spec.columns if c.name not in frame.columns]
    return frame.with_columns(pl.lit(None, pl.String).alias(m) for m in missing)


def _read_csv(spec: FileSpec, path: Path, problems: list[Problem]) -> RawTable | None:
    label = path.name
    text = _decode(label, path.read_bytes(), problems)
    if text is None:
        return None
    lone_cr = re.search(r"\r(?!\n)", text)
    if lone_cr is not None:
        line = text.count("\n", 0, lone_cr.start()) + 1
        problems.append(
            Problem(
                label,
                line,
                None,
                None,
                "a line ends in a lone carriage return (CR): save the file with LF or CRLF "
                "line endings",
            )
        )
        return None
    first = text.split("\n", 1)[0].strip("\r")
    if not first.strip():
        problems.append(Problem(label, 1, None, None, "the file has no header row"))
        return None
    header = [h.strip() for h in next(csv.reader([first]))]
    header_problems = _header_problems(spec, label, header)
    problems.extend(header_problems)
    if header_problems:
        return None
    shape_problems = _field_count_problems(label, text, len(header))
    if shape_problems:
        problems.extend(shape_problems)
        return None
    try:
        frame = pl.read_csv(
            text.encode("utf-8"),
            infer_schema=False,
            has_header=True,
            new_columns=header,
        )
    except pl.exceptions.PolarsError as exc:
        reason = str(exc).splitlines()[0]
        problems.append(Problem(label, None, None, None, f"not parseable as CSV: {reason}"))
        return None
    frame = frame.with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64))
    return RawTable(spec, label, _tidy(frame, spec))


def _excel_cell(value: object, column: Column | None) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        if column is not None and column.type == "month" and value.day == 1:
            return f"{value.year:04d}-{value.month:02d}"
        return value.isoformat()
    return str(value)


_XLSX_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def _cell_position(ref: str) -> tuple[int, int]:
    """``'C12'`` -> (12, 2): the 1-based row and the 0-based column."""
    letters = ref.rstrip("0123456789")
    col = 0
    for ch in letters:
        col = col * 26 + (ord(ch) - ord("A") + 1)
    return int(ref[len(letters) :]), col - 1


def formula_cells(path: Path) -> dict[str, list[tuple[int, int, str]]]:
    """Every formula cell of an .xlsx workbook by sheet: (row, column, formula). A formula
    loads as its cached value, which may be stale or missing, so the validator refuses them."""
    found: dict[str, list[tuple[int, int, str]]] = {}
    with zipfile.ZipFile(path) as book:
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
        targets = {
            r.get("Id"): r.get("Target", "") for r in rels.findall("rel:Relationship", _XLSX_NS)
        }
        for sheet in workbook.findall("m:sheets/m:sheet", _XLSX_NS):
            target = targets.get(sheet.get(f"{{{_XLSX_NS['r']}}}id"), "")
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if member not in book.namelist():
                continue
            cells = []
            for _, el in ElementTree.iterparse(book.open(member)):
                if el.tag == f"{{{_XLSX_NS['m']}}}c":
                    formula = el.find("m:f", _XLSX_NS)
                    if formula is not None and el.get("r"):
                        row, col = _cell_position(el.get("r", ""))
                        cells.append((row, col, formula.text or "(shared formula)"))
                    el.clear()
            found[sheet.get("name", "")] = cells
    return found


def _formula_problems(
    label: str, header: list[str], cells: list[tuple[int, int, str]]
) -> list[Problem]:
    return [
        Problem(
            label,
            row,
            header[col] if col < len(header) else None,
            f"={formula}",
            "a formula cell: enter the value itself (a formula loads as its cached result, "
            "which may be stale or missing)",
        )
        for row, col, formula in cells[:MAX_PROBLEMS_PER_CHECK]
    ]


def _read_sheet(
    spec: FileSpec, label: str, rows: list[list[object]], problems: list[Problem]
) -> RawTable | None:
    if not rows:
        problems.append(Problem(label, 1, None, None, "the sheet has no header row"))
        return None
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    while header and header[-1] == "":
        header.pop()
    header_problems = _header_problems(spec, label, header)
    problems.extend(header_problems)
    if header_problems:
        return None
    columns = [spec.column(h) for h in header]
    body: list[list[str | None]] = []
    for n, row in enumerate(rows[1:], start=2):
        extra = [v for v in row[len(header) :] if v not in (None, "")]
        if extra:
            problems.append(
                Problem(
                    label,
                    n,
                    None,
                    None,
                    f"the row has cells beyond the header's {len(header)} columns",
                )
            )
        body.append([_excel_cell(v, c) for v, c in zip(row, columns, strict=False)])
    return RawTable(spec, label, _tidy(_frame_from_rows(spec, header, body), spec))


def read_raw_tables(path: Path, problems: list[Problem]) -> dict[str, RawTable]:
    """Read every file of the data set at ``path`` (a folder of CSV files or an .xlsx workbook)."""
    tables: dict[str, RawTable] = {}
    if path.is_dir():
        present = {p.stem: p for p in sorted(path.glob("*.csv"))}
        for stem, p in present.items():
            if stem not in {f.name for f in FILES}:
                problems.append(
                    Problem(
                        p.name, None, None, None, "not a file of the import format (unknown name)"
                    )
                )
        for spec in FILES:
            file = present.get(spec.name)
            if file is None:
                if spec.required:
                    problems.append(
                        Problem(f"{spec.name}.csv", None, None, None, "required file is missing")
                    )
                continue
            table = _read_csv(spec, file, problems)
            if table is not None:
                tables[spec.name] = table
        return tables
    if path.suffix.lower() != ".xlsx" or not path.is_file():
        problems.append(
            Problem(str(path), None, None, None, "not a folder of CSV files or an .xlsx workbook")
        )
        return tables
    import python_calamine

    try:
        book = python_calamine.load_workbook(str(path))
    except Exception as exc:  # calamine raises several error types for a broken workbook
        problems.append(
            Problem(path.name, None, None, None, f"not a readable .xlsx workbook: {exc}")
        )
        return tables
    try:
        formulas = formula_cells(path)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        problems.append(
            Problem(path.name, None, None, None, f"not a readable .xlsx workbook: {exc}")
        )
        return tables
    names = set(book.sheet_names)
    for name in sorted(names - {f.name for f in FILES}):
        problems.append(
            Problem(
                f"{path.name}[{name}]",
                None,
                None,
                None,
                "not a sheet of the import format (unknown name)",
            )
        )
    for spec in FILES:
        label = f"{path.name}[{spec.name}]"
        if spec.name not in names:
            if spec.required:
                problems.append(Problem(label, None, None, None, "required sheet is missing"))
            continue
        rows = book.get_sheet_by_name(spec.name).to_python(skip_empty_area=False)
        if formulas.get(spec.name):
            header = [str(h).strip() if h is not None else "" for h in (rows[0] if rows else [])]
            problems.extend(_formula_problems(label, header, formulas[spec.name]))
            continue
        table = _read_sheet(spec, label, rows, problems)
        if table is not None:
            tables[spec.name] = table
    return tables


# Checking values -----------------------------------------------------------------------


def _report(
    problems: list[Problem], table: RawTable, bad: pl.DataFrame, column: str | None, reason: str
) -> None:
    value_col = column if column in bad.columns else None
    for row in bad.head(MAX_PROBLEMS_PER_CHECK).iter_rows(named=True):
        value = row[value_col] if value_col else None
        problems.append(Problem(table.label, row[LINE], column, value, reason))
    if bad.height > MAX_PROBLEMS_PER_CHECK:
        problems.append(
            Problem(
                table.label,
                None,
                column,
                None,
                f"{bad.height - MAX_PROBLEMS_PER_CHECK} more rows: {reason}",
            )
        )


def _typed_expr(col: Column) -> pl.Expr:
    c = pl.col(col.name)
    match col.type:
        case "number":
            number = c.cast(pl.Float64, strict=False)
            return pl.when(number == 0).then(0.0).otherwise(number)  # '-0' is stored as 0
        case "integer":
            as_float = c.cast(pl.Float64, strict=False)
            return (
                pl.when(as_float == as_float.round(0)).then(as_float).cast(pl.Int32, strict=False)
            )
        case "month":
            return pl.when(c.str.contains(MONTH_RE)).then(
                (c + "-01").str.to_date("%Y-%m-%d", strict=False)
            )
        case "date":
            return pl.when(c.str.contains(DATE_RE)).then(c.str.to_date("%Y-%m-%d", strict=False))
        case "bool":
            low = c.str.to_lowercase()
            return pl.when(low == "true").then(True).when(low == "false").then(False)
        case _:
            return c


_TYPE_REASON = {
    "number": "not a number",
    "integer": "not a whole number",
    "month": "not a real month in the form YYYY-MM",
    "date": "not a real date in the form YYYY-MM-DD",
    "bool": "not true or false",
}


def _check_values(table: RawTable, problems: list[Problem]) -> pl.DataFrame:
    """Type-check each column; return the typed frame (bad cells null)."""
    frame = table.frame
    typed_cols = []
    for col in table.spec.columns:
        name = col.name
        raw = pl.col(name)
        if not col.nullable:
            _report(
                problems, table, frame.filter(raw.is_null()), name, "empty; a value is required"
            )
        typed = _typed_expr(col).alias(name)
        if col.type in _TYPE_REASON:
            cast = frame.select(LINE, name, typed.alias("_typed"))
            _report(
                problems,
                table,
                cast.filter(pl.col(name).is_not_null() & pl.col("_typed").is_null()),
                name,
                _TYPE_REASON[col.type],
            )
            if col.type in ("number", "integer"):
                t = pl.col("_typed")
                if col.type == "number":
                    _report(
                        problems,
                        table,
                        cast.filter(t.is_nan() | t.is_infinite()),
                        name,
                        "not a finite number",
                    )
                if col.minimum == 0 and col.maximum is not None:
                    _report(problems, table, cast.filter(t < 0), name, "negative; must be >= 0")
                    _report(
                        problems,
                        table,
                        cast.filter(t.is_finite() & (t > col.maximum)),
                        name,
                        f"must be from 0 to {col.maximum:g}",
                    )
                elif col.minimum is not None and col.maximum is not None:
                    out_of_range = cast.filter((t < col.minimum) | (t > col.maximum))
                    _report(
                        problems,
                        table,
                        out_of_range,
                        name,
                        f"must be from {col.minimum:g} to {col.maximum:g}",
                    )
                elif col.minimum is not None:
                    _report(
                        problems,
                        table,
                        cast.filter(t < col.minimum),
                        name,
                        "negative; must be >= 0",
                    )
        if col.allowed:
            _report(
                problems,
                table,
                frame.filter(raw.is_not_null() & ~raw.is_in(col.allowed)),
                name,
                f"not one of {', '.join(col.allowed)}",
            )
        if col.type == "id" and not col.allowed and not col.iso3:
            # a lone ``*`` is the wildcard: where it is not allowed it names an unknown id
            bad = frame.filter(raw.is_not_null() & (raw != "*") & ~raw.str.contains(ID_RE))
            _report(problems, table, bad, name, ID_REASON)
        if col.iso3:
            bad = frame.filter(raw.is_not_null() & ~raw.str.contains(ISO3_RE))
            _report(
                problems, table, bad, name, "not an ISO 3166 alpha-3 code (three capital letters)"
            )
        if col.type == "id_list":
            parts = frame.filter(raw.is_not_null()).select(
                LINE, name, raw.str.split(";").alias("_p")
            )
            empty = parts.filter(
                pl.col("_p").list.eval(pl.element().str.strip_chars() == "").list.any()
            )
            _report(problems, table, empty, name, "has an empty entry in the ;-separated list")
        typed_cols.append(typed)
    typed_frame = frame.select(LINE, *typed_cols)
    return typed_frame


def _check_keys(table: RawTable, typed: pl.DataFrame, problems: list[Problem]) -> None:
    key = list(table.spec.key)
    if not key:
        return
    required = [k for k in key if not table.spec.column(k).nullable]
    keyed = typed.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in required))
    dup = keyed.filter(keyed.select(key).is_duplicated())
    if dup.height == 0:
        return
    first = dup.group_by(key).agg(pl.col(LINE).min().alias("_first"))
    dup = (
        dup.join(first, on=key, nulls_equal=True)
        .filter(pl.col(LINE) != pl.col("_first"))
        .select(LINE, "_first")
        .join(table.frame.select(LINE, *key), on=LINE, how="left")  # the key as written
        .sort(LINE)
    )
    for row in dup.head(MAX_PROBLEMS_PER_CHECK).iter_rows(named=True):
        value = ", ".join("" if row[k] is None else str(row[k]) for k in key)
        problems.append(
            Problem(
                table.label,
                row[LINE],
                key[0] if len(key) == 1 else "+".join(key),
                value,
                f"duplicate key ({', '.join(key)}); first on line {row['_first']}",
            )
        )


_TARGET_FILES = {
    "item": {"items"},
    "partner": {"partners"},
    "source": {"sources"},
    "stock_source": {"sources"},
    "holder": {"sources", "partners"},
    "commitment": {"commitments"},
}


def _check_references(
    tables: dict[str, RawTable], typed: dict[str, pl.DataFrame], problems: list[Problem]
) -> None:
    def ids(file: str, column: str, predicate: pl.Expr | None = None) -> pl.Series:
        if file not in typed:
            return pl.Series(column, [], pl.String)
        f = typed[file]
        if predicate is not None:
            f = f.filter(predicate)
        return f.get_column(column).drop_nulls()

    items = ids("items", "item_id")
    partners = ids("partners", "partner_id")
    sources = ids("sources", "source_id")
    stock_sources = ids("sources", "source_id", pl.col("kind").is_in(STOCK_KINDS))
    commitments = ids("commitments", "commitment_id")
    targets = {
        "item": (items, "an unknown item (not in items)"),
        "partner": (partners, "an unknown partner (not in partners)"),
        "source": (sources, "an unknown source (not in sources)"),
        "stock_source": (
            stock_sources,
            "not a stock source (a source of kind us_stock or allied_stock)",
        ),
        "holder": (pl.concat([stock_sources, partners]), "neither a stock source nor a partner"),
        "commitment": (commitments, "an unknown commitment (not in commitments)"),
    }
    # A reference into a file that could not be read is not checked: its problems are
    # already reported, and every row pointing into it would otherwise look dangling.
    unread = {f for f in ("items", "partners", "sources", "commitments") if f not in typed}
    for name, table in tables.items():
        frame = typed[name]
        for ref in table.spec.references:
            if unread & _TARGET_FILES[ref.target]:
                continue
            known, reason = targets[ref.target]
            c = pl.col(ref.column)
            bad = frame.filter(c.is_not_null() & ~c.is_in(known.implode()))
            if table.spec.column(ref.column).wildcard:
                bad = bad.filter(c != "*")
            _report(problems, table, bad, ref.column, reason)
        for col in table.spec.columns:
            if col.type != "id_list" or "partners" in unread:
                continue
            parts = (
                frame.filter(pl.col(col.name).is_not_null() & (pl.col(col.name) != "ALL"))
                .select(LINE, pl.col(col.name).str.split(";").alias("_id"))
                .explode("_id")
                .with_columns(pl.col("_id").str.strip_chars())
                .filter((pl.col("_id") != "") & ~pl.col("_id").is_in(partners.implode()))
            )
            _report(
                problems,
                table,
                parts.rename({"_id": col.name}),
                col.name,
                "names an unknown partner (not in partners)",
            )
    for name in ("capacity", "expansion_options"):
        if name in typed and "sources" not in unread:
            c = pl.col("source_id")
            bad = typed[name].filter(c.is_in(stock_sources.implode()))
            _report(
                problems,
                tables[name],
                bad,
                "source_id",
                "a stock source has no production capacity; only production sources may appear here",
            )


def _check_deliveries(
    tables: dict[str, RawTable], typed: dict[str, pl.DataFrame], problems: list[Problem]
) -> None:
    if "deliveries" not in typed or "commitments" not in typed:
        return
    d = (
        typed["deliveries"]
        .sort(LINE)
        .with_columns(pl.col("units").fill_null(0).cum_sum().over("commitment_id").alias("_cum"))
    )
    c = typed["commitments"].select("commitment_id", "quantity", pl.col(LINE).alias("_cline"))
    over = d.join(c, on="commitment_id").filter(pl.col("_cum") > pl.col("quantity") + 1e-9)
    first = over.group_by("commitment_id").agg(pl.all().sort_by(LINE).first()).sort(LINE)
    for row in first.iter_rows(named=True):
        problems.append(
            Problem(
                tables["deliveries"].label,
                row[LINE],
                "units",
                str(
                    tables["deliveries"]
                    .frame.filter(pl.col(LINE) == row[LINE])
                    .get_column("units")[0]
                ),
                f"deliveries for {row['commitment_id']} reach {row['_cum']:,.10g} units here, more than "
                f"its quantity {row['quantity']:,.10g} (commitments line {row['_cline']})",
            )
        )


def _bom_cycles(edges: list[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """For each edge (item, component) on a cycle, one cycle through it (item first)."""
    needs: dict[str, list[str]] = {}
    for item, component in edges:
        needs.setdefault(item, []).append(component)
    out: dict[tuple[str, str], list[str]] = {}
    for item, component in edges:
        # a path from the component back to the item closes a cycle through this edge
        seen, stack = {component: [item, component]}, [component]
        while stack and item not in seen:
            node = stack.pop()
            for nxt in needs.get(node, []):
                if nxt not in seen:
                    seen[nxt] = [*seen[node], nxt]
                    stack.append(nxt)
        if component == item:
            out[(item, component)] = [item, item]
        elif item in seen:
            out[(item, component)] = seen[item]
    return out


def _check_components(
    tables: dict[str, RawTable], typed: dict[str, pl.DataFrame], problems: list[Problem]
) -> None:
    """Bills of materials: components are items of category ``component``, never promised;
    a row's line makes the item; more than 0 per item; no cycles."""
    if "items" not in typed:
        return
    components = (
        typed["items"].filter(pl.col("category") == COMPONENT).get_column("item_id").drop_nulls()
    )
    category = dict(typed["items"].select("item_id", "category").iter_rows())
    if "commitments" in typed:
        bad = typed["commitments"].filter(pl.col("item_id").is_in(components.implode()))
        _report(
            problems,
            tables["commitments"],
            bad,
            "item_id",
            "is a component (category component): components go into other items and are "
            "never promised to a partner",
        )
    if "bom" not in typed:
        return
    bom, table = typed["bom"], tables["bom"]
    _report(
        problems,
        table,
        table.frame.filter(
            pl.col(LINE).is_in(bom.filter(pl.col("units_per_item") == 0).get_column(LINE).implode())
        ),
        "units_per_item",
        "must be more than 0 (drop the row if the item does not use the component)",
    )

    def component_problem(row: dict, reason: str) -> None:
        problems.append(
            Problem(table.label, row[LINE], "component_id", row["component_id"], reason)
        )

    known = pl.col("component_id").is_in(list(category))
    for row in bom.filter(known & ~pl.col("component_id").is_in(components.implode())).iter_rows(
        named=True
    ):
        component_problem(
            row,
            f"is not a component (its category is {category[row['component_id']]}); "
            "give it the category component in items",
        )
    made = [
        typed[name].select("source_id", "item_id")
        for name in ("capacity", "expansion_options")
        if name in typed
    ]
    # with neither file read (both rejected, each with its own problem), no line is known
    if "sources" in typed and made:
        lines = pl.concat(made).unique()
        production = typed["sources"].filter(pl.col("kind").is_in(PRODUCTION_KINDS))
        named = bom.filter(
            pl.col("source_id").is_not_null()
            & pl.col("source_id").is_in(typed["sources"].get_column("source_id").implode())
        )
        stray = named.join(lines, on=["source_id", "item_id"], how="anti")
        for row in stray.iter_rows(named=True):
            is_production = row["source_id"] in production.get_column("source_id").to_list()
            why = "makes no" if is_production else "is not a production source, so it makes no"
            problems.append(
                Problem(
                    table.label,
                    row[LINE],
                    "source_id",
                    row["source_id"],
                    f"{why} {row['item_id']} (no capacity or expansion option for it)",
                )
            )
    edges = bom.select("item_id", "component_id").drop_nulls().unique().rows()
    cycles = _bom_cycles([tuple(e) for e in edges])
    for row in bom.iter_rows(named=True):
        cycle = cycles.get((row["item_id"], row["component_id"]))
        if cycle:
            component_problem(row, "a cycle in the bills of materials: " + " needs ".join(cycle))


def _check_uncertainty(
    tables: dict[str, RawTable], typed: dict[str, pl.DataFrame], problems: list[Problem]
) -> None:
    """Uncertainty rules (``store.uncertainty``): each target suits its kind, each row's
    distribution and parameters suit its kind. Cells already refused (an unknown kind or
    distribution, a value that is not a number or out of the column's range) are not judged
    again."""
    if "uncertainty" not in typed:
        return
    table = tables["uncertainty"]
    # the cells as written, beside their typed values (the typed frame keeps the file's rows)
    rules = typed["uncertainty"].with_columns(
        table.frame.get_column(c).alias(f"_raw_{c}") for c in ("low", "mode", "high")
    )
    if "sources" in typed and "partners" in typed:
        sources = dict(typed["sources"].select("source_id", "kind").drop_nulls().iter_rows())
        partners = set(typed["partners"].get_column("partner_id").drop_nulls())
        for row in rules.filter(pl.col("target").is_not_null()).iter_rows(named=True):
            reason = target_problem(row["kind"], row["target"], sources, partners)
            if reason is not None:
                problems.append(Problem(table.label, row[LINE], "target", row["target"], reason))

    def clean(column: str) -> pl.Expr:
        value = pl.col(column)
        usable = value.is_not_null() & value.is_finite() & value.is_between(0, MAX_FACTOR)
        return pl.col(f"_raw_{column}").is_null() | usable

    judged = rules.filter(
        pl.col("kind").is_in(UNCERTAINTY_KINDS)
        & pl.col("distribution").is_in(DISTRIBUTIONS)
        & pl.col("low").is_not_null()
        & clean("low")
        & clean("mode")
        & clean("high")
    )
    for row in judged.iter_rows(named=True):
        found = parameter_problems(
            row["kind"], row["distribution"], row["low"], row["mode"], row["high"]
        )
        for column, reason in found:
            value = row["distribution"] if column == "distribution" else row[f"_raw_{column}"]
            problems.append(Problem(table.label, row[LINE], column, value, reason))


def _content_hash(dataset: Dataset) -> str:
    digest = hashlib.sha256()
    for name, frame in dataset.tables().items():
        digest.update(name.encode())
        digest.update(frame.write_csv().encode())
    return digest.hexdigest()


def validate_path(path: str | Path) -> Validated:
    """Validate the data set at ``path``; raise ``InputRejected`` listing every problem."""
    path = Path(path)
    problems: list[Problem] = []
    if not path.exists():
        raise InputRejected([Problem(str(path), None, None, None, "no such file or folder")])
    tables = read_raw_tables(path, problems)
    typed = {}
    for name, table in tables.items():
        typed[name] = _check_values(table, problems)
        _check_keys(table, typed[name], problems)
    _check_references(tables, typed, problems)
    _check_deliveries(tables, typed, problems)
    _check_components(tables, typed, problems)
    _check_uncertainty(tables, typed, problems)
    if problems:
        raise InputRejected(problems, limit=200)
    frames = {}
    for spec in FILES:
        schema = {c.name: _DTYPES[c.type] for c in spec.columns}
        if spec.name in typed:
            frame = typed[spec.name].drop(LINE).select(list(schema)).cast(schema)
        else:
            frame = pl.DataFrame(schema=schema)
        frames[spec.name] = frame
    dataset = Dataset(**frames)
    return Validated(
        dataset=dataset,
        content_hash=_content_hash(dataset),
        row_counts={name: f.height for name, f in frames.items()},
    )
