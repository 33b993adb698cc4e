"""The what-if form: its rows and cells, read from the override kinds' registry
(``pipeline/scenarios/kinds.py``), and the conversions form <-> scenario file.

A filled form becomes the content of a scenario TOML file (``pipeline/scenarios`` reads and
checks it, so the form can say nothing a file could not); a saved file opens back into the form.
Cells are plain text so that a bad value reaches us and gets an inline message.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from dashboards.values import is_text
from pipeline.scenarios import KINDS, OverrideKind
from pipeline.scenarios.spec import TOP
from store.errors import Problem

__all__ = [
    "CELLS",
    "FORM",
    "KIND_TITLES",
    "MAX_ROWS",
    "FormField",
    "blank_form",
    "decode_doc",
    "doc_to_form",
    "encode_doc",
    "form_to_doc",
    "parse_budget",
    "problem_text",
    "rows_from_cells",
]


@dataclass(frozen=True)
class FormField:
    """One cell of a row: the scenario key, its label, and how it is entered.

    ``widget`` is ``ids`` (a dropdown of the id set ``ids``, ``'*'`` first when ``wildcard``),
    ``choice`` (a dropdown of ``choices``), ``number``, ``integer`` or ``text``; ``type`` is
    the name of the field's value type (``bool``: the first choice means true).
    """

    key: str
    label: str
    widget: str
    required: bool = False
    choices: tuple[Any, ...] = ()
    ids: str | None = None
    wildcard: bool = False
    type: str = "text"


def _fields(kind: OverrideKind) -> tuple[FormField, ...]:
    spec = kind.spec
    out = []
    for cell in kind.form.cells:
        f = spec[cell.key]
        choices = cell.choices or f.type.choices
        if f.ids is not None:
            widget = "ids"
        elif choices:
            widget = "choice"
        elif f.type.name in ("number", "integer"):
            widget = f.type.name
        else:
            widget = "text"
        required = f.required if cell.required is None else cell.required
        out.append(
            FormField(
                cell.key, cell.label, widget, required, choices, f.ids, f.wildcard, f.type.name
            )
        )
    return tuple(out)


# kind -> (rows in the form, fields), for the kinds the form edits, in the registry's order
FORM: dict[str, tuple[int, tuple[FormField, ...]]] = {
    name: (kind.form.rows, _fields(kind)) for name, kind in KINDS.items() if kind.form is not None
}
KIND_TITLES = {name: kind.form.title for name, kind in KINDS.items() if kind.form is not None}
# every cell type of the form, in the order the page's pattern-matching ids list them
CELLS: list[tuple[str, FormField]] = [
    (kind, f) for kind, (_, fields) in FORM.items() for f in fields
]
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def blank_form() -> dict[str, list[dict[str, Any]]]:
    return {
        kind: [dict.fromkeys(f.key for f in fields) for _ in range(n)]
        for kind, (n, fields) in FORM.items()
    }


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def parse_budget(raw: Any, label: str = "Budget") -> tuple[float | None, str | None]:
    """A budget typed or sent as text or a number, read by the scenario files' own rule
    (``budget_usd``: 0 to 1e13 USD); (value, None), or (None, the problem)."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float) or not is_text(str(raw)):
        return None, f"{label}: {_shown(raw)} is not a number of USD."
    text = str(raw).strip().replace(",", "").replace("_", "")
    try:
        value = float(text)
    except ValueError:
        return None, f"{label}: {_shown(raw)} is not a number of USD."
    try:
        return TOP["budget_usd"].parse(value), None
    except ValueError as exc:
        unit = " USD" if str(exc).startswith("must be from") else ""
        return None, f"{label}: {exc}{unit}."


def _shown(raw: Any) -> str:
    """A value as a message quotes it (a crafted value: its type, not its content)."""
    if isinstance(raw, str) and is_text(raw):
        return repr(raw[:40])
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return repr(raw)
    return f"a {type(raw).__name__}"


def _text_problem(raw: Any, where: str, numbers: bool = True) -> str | None:
    """Why a value cannot be a scenario's text (or, with ``numbers``, number), or None."""
    kinds = (str, int, float) if numbers else (str,)
    if isinstance(raw, bool) or not isinstance(raw, kinds):
        return f"{where}: {_shown(raw)} is not text."
    if isinstance(raw, str) and (not is_text(raw) or any(ord(c) < 32 for c in raw)):
        return f"{where}: holds characters that are not text (a control or unpaired surrogate)."
    return None


def _parse(field: FormField, raw: Any, where: str) -> tuple[Any, str | None]:
    problem = _text_problem(raw, f"{where}: {field.label}")
    if problem is not None:
        return None, problem[:-1]
    text = str(raw).strip()
    if field.widget == "number":
        try:
            value = float(text.replace(",", ""))
        except ValueError:
            return None, f"{where}: {field.label} {text!r} is not a number"
        return (int(value) if value.is_integer() and abs(value) < 1e15 else value), None
    if field.widget == "integer":
        try:
            return int(text), None
        except ValueError:
            return None, f"{where}: {field.label} {text!r} is not a whole number"
    if field.widget == "choice" and field.type == "bool":
        return text == field.choices[0], None
    if field.widget == "choice" and field.type == "integer":
        try:
            return int(text), None
        except ValueError:
            low, high = field.choices[0], field.choices[-1]
            return None, f"{where}: {field.label} {text!r} is not {low} to {high}"
    return text, None


def form_to_doc(
    name: Any,
    description: Any,
    base: Any,
    budget: Any,
    rows: dict[str, list[dict[str, Any]]],
    cost: Any = None,
) -> tuple[dict[str, Any], list[str]]:
    """The scenario file content a form describes, and the problems found in the cells
    (empty rows are skipped; a partly filled row must have its required cells)."""
    problems: list[str] = []
    for label, raw in (("Name", name), ("Description", description), ("Built on", base)):
        problem = None if raw is None else _text_problem(raw, label, numbers=False)
        if problem is not None:
            problems.append(problem)
    if problems:
        return {}, problems
    name = (name or "").strip()
    if not name:
        problems.append("Name: give the scenario a name (letters, digits, '-' or '_').")
    elif not _NAME.match(name) or name == "baseline":
        problems.append(f"Name: {name!r} must be letters, digits, '-' or '_' (not 'baseline').")
    doc: dict[str, Any] = {
        "name": name,
        "description": (description or "").strip() or f"What-if {name} from the dashboard",
        "base": (base or "baseline").strip(),
    }
    if not _empty(budget):
        value, problem = parse_budget(budget)
        if problem is not None:
            problems.append(problem)
        else:
            doc["budget_usd"] = value
    if not _empty(cost):
        value, problem = parse_budget(cost, "Cost of the measures")
        if problem is not None:
            problems.append(problem)
        elif value:
            doc["cost_usd"] = value
    for kind, (_, fields) in FORM.items():
        entries = []
        for index, row in enumerate(rows.get(kind, []), start=1):
            if all(_empty(row.get(f.key)) for f in fields):
                continue
            where = f"{KIND_TITLES[kind]}, row {index}"
            entry: dict[str, Any] = {}
            for f in fields:
                raw = row.get(f.key)
                if _empty(raw):
                    if f.required:
                        problems.append(f"{where}: give the {f.label}.")
                    continue
                value, problem = _parse(f, raw, where)
                if problem:
                    problems.append(problem + ".")
                else:
                    entry[f.key] = value
            entries.append(entry)
        if entries:
            doc[kind] = entries
    return doc, problems


def doc_to_form(doc: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]] | None, str]:
    """The form rows for a scenario file's content, or None (and why) when the form cannot
    show all of it (then the page offers it as the base of a new what-if instead)."""
    form = blank_form()
    for kind in doc:
        if isinstance(doc[kind], list) and kind not in FORM:
            return None, f"it has '{kind}' overrides, which the form does not edit"
    for kind, (_, fields) in FORM.items():
        entries = doc.get(kind, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            return None, f"its '{kind}' overrides are not a list of tables"
        by_key = {f.key: f for f in fields}
        # a row for each entry: the form grows to hold them all
        form[kind] += [dict.fromkeys(by_key) for _ in range(len(entries) - len(form[kind]))]
        for index, entry in enumerate(entries):
            extra = set(entry) - set(by_key)
            if extra:
                return None, f"its '{kind}' override uses {', '.join(sorted(extra))}"
            row = form[kind][index]
            for key, value in entry.items():
                row[key] = _cell_text(by_key[key], value)
    return form, ""


def _cell_text(field: FormField, value: Any) -> Any:
    """What a cell shows for a value of the scenario file."""
    if field.widget == "choice" and field.type == "bool":
        return field.choices[0] if value else field.choices[1]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if field.widget == "choice" else str(value)


MAX_ROWS = 40
"""The most rows a kind's panel holds (a request with more is cut to it)."""


def rows_from_cells(values: tuple[Any, ...]) -> dict[str, list[dict[str, Any]]]:
    """The cell values (one list per cell type, in CELLS order, one value per row shown) as
    rows per kind; a kind has as many rows as the page shows (rows are added and removed)."""
    rows: dict[str, list[dict[str, Any]]] = {kind: [] for kind in FORM}
    for (kind, f), column in zip(CELLS, values, strict=False):
        if not isinstance(column, list):  # a crafted request: the row stays empty
            continue
        column = column[:MAX_ROWS]
        rows[kind] += [{} for _ in range(len(column) - len(rows[kind]))]
        for row, value in zip(rows[kind], column, strict=False):
            row[f.key] = value
    for kind, (_, fields) in FORM.items():
        for row in rows[kind]:
            for f in fields:
                row.setdefault(f.key, None)
    return rows


def problem_text(problem: Problem) -> str:
    """A scenario problem in the form's words: the panel, row and cell when it has them."""
    if problem.column:
        kind, _, key = str(problem.column).partition(".")
        title = KIND_TITLES.get(kind)
        if title and problem.line:
            where = f"{title}, row {problem.line}, {key or kind}"
        else:
            where = str(problem.column)
    else:
        where = "Scenario"
    value = "" if problem.value is None else f" {problem.value!r}"
    return f"{where}{value}: {problem.reason}."


MAX_ENCODED = 8000
"""Longest encoded scenario a link may carry (a remedy's is a few hundred characters)."""


def encode_doc(doc: dict[str, Any]) -> str:
    """A scenario's content as URL-safe text (a link that opens it in the form)."""
    raw = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_doc(text: Any) -> dict[str, Any] | None:
    """The scenario content of :func:`encode_doc`, or None for anything else (a link typed
    or cut short): the form then opens empty. Nothing here runs or saves it."""
    if not isinstance(text, str) or not 0 < len(text) <= MAX_ENCODED:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        doc = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None
