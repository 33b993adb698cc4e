"""The what-if form as data: its rows and fields, and the conversions form <-> scenario file.

A filled form becomes the content of a scenario TOML file (``arsenal/scenarios`` reads and
checks it, so the form can say nothing a file could not); a saved file opens back into the form.
Cells are plain text so that a bad value reaches us and gets an inline message.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "FORM",
    "FormField",
    "blank_form",
    "doc_to_form",
    "form_to_doc",
    "read_doc",
]


@dataclass(frozen=True)
class FormField:
    """One cell of a row: the scenario key, its label, and how it is entered."""

    key: str
    label: str
    widget: str  # source | item | holder | partner | text | number | integer | choice
    required: bool = False
    choices: tuple[Any, ...] = ()


# kind -> (rows in the form, fields); kinds and keys are those of arsenal/scenarios/spec.py
FORM: dict[str, tuple[int, tuple[FormField, ...]]] = {
    "capacity": (
        3,
        (
            FormField("source", "source", "source", True),
            FormField("item", "item", "item", True),
            FormField("multiply", "x capacity", "number", True),
            FormField("from", "from YYYY-MM", "text", True),
            FormField("until", "until (optional)", "text"),
        ),
    ),
    "outage": (
        2,
        (
            FormField("source", "source", "source", True),
            FormField("item", "item (all if empty)", "item"),
            FormField("from", "from YYYY-MM", "text", True),
            FormField("until", "until (optional)", "text"),
        ),
    ),
    "demand": (
        2,
        (
            FormField("holder", "holder", "holder", True),
            FormField("item", "item", "item", True),
            FormField("multiply", "x demand", "number", True),
            FormField("from", "from YYYY-MM", "text", True),
            FormField("until", "until (optional)", "text"),
        ),
    ),
    "commitment": (
        2,
        (
            FormField("action", "action", "choice", True, ("add", "change")),
            FormField("id", "commitment id", "text", True),
            FormField("partner", "partner (add)", "partner"),
            FormField("item", "item (add)", "item"),
            FormField("quantity", "quantity", "number"),
            FormField("promised", "promised YYYY-MM", "text"),
            FormField("priority", "priority", "choice", False, (1, 2, 3, 4, 5)),
        ),
    ),
    "route": (
        2,
        (
            FormField("source", "source (* any)", "source"),
            FormField("partner", "partner (* any)", "partner"),
            FormField("item", "item (* any)", "item"),
            FormField("allowed", "open or close", "choice", True, ("open", "close")),
            FormField("lead_time_months", "lead time (months)", "integer"),
        ),
    ),
}
KIND_TITLES = {
    "capacity": "Capacity multipliers",
    "outage": "Outages",
    "demand": "Demand surge or lull",
    "commitment": "Add or change a commitment",
    "route": "Open or close a route",
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def component_type(kind: str, key: str) -> str:
    """The pattern-matching id type of a form cell (``whatif-capacity-source``)."""
    return f"whatif-{kind}-{key.replace('_', '-')}"


def blank_form() -> dict[str, list[dict[str, Any]]]:
    return {
        kind: [dict.fromkeys(f.key for f in fields) for _ in range(n)]
        for kind, (n, fields) in FORM.items()
    }


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _parse(field: FormField, raw: Any, where: str) -> tuple[Any, str | None]:
    text = str(raw).strip()
    if field.widget == "number":
        try:
            value = float(text.replace(",", ""))
        except ValueError:
            return None, f"{where}: {field.label} {text!r} is not a number"
        return (int(value) if value.is_integer() else value), None
    if field.widget == "integer":
        try:
            return int(text), None
        except ValueError:
            return None, f"{where}: {field.label} {text!r} is not a whole number"
    if field.key == "allowed":
        return text == "open", None
    if field.key == "priority":
        try:
            return int(text), None
        except ValueError:
            return None, f"{where}: priority {text!r} is not 1 to 5"
    return text, None


def form_to_doc(
    name: Any,
    description: Any,
    base: Any,
    budget: Any,
    rows: dict[str, list[dict[str, Any]]],
) -> tuple[dict[str, Any], list[str]]:
    """The scenario file content a form describes, and the problems found in the cells
    (empty rows are skipped; a partly filled row must have its required cells)."""
    problems: list[str] = []
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
        text = str(budget).strip().replace(",", "").replace("_", "")
        try:
            value = float(text)
        except ValueError:
            problems.append(f"Budget: {budget!r} is not a number of USD.")
        else:
            if value < 0:
                problems.append("Budget: must not be negative.")
            else:
                doc["budget_usd"] = value
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


def read_doc(path: str | Path) -> dict[str, Any]:
    with Path(path).open("rb") as fh:
        return tomllib.load(fh)


def doc_to_form(doc: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]] | None, str]:
    """The form rows for a scenario file's content, or None (and why) when the form cannot
    show all of it (then the page offers it as the base of a new what-if instead)."""
    form = blank_form()
    for kind in doc:
        if isinstance(doc[kind], list) and kind not in FORM:
            return None, f"it has '{kind}' overrides, which the form does not edit"
    for kind, (n, fields) in FORM.items():
        entries = doc.get(kind, [])
        if len(entries) > n:
            return None, f"it has {len(entries)} '{kind}' overrides; the form has {n} rows"
        keys = {f.key for f in fields}
        for index, entry in enumerate(entries):
            extra = set(entry) - keys
            if extra:
                return None, f"its '{kind}' override uses {', '.join(sorted(extra))}"
            row = form[kind][index]
            for key, value in entry.items():
                if key == "allowed":
                    row[key] = "open" if value else "close"
                elif isinstance(value, float) and value.is_integer():
                    row[key] = str(int(value))
                else:
                    row[key] = value if key in ("action", "priority") else str(value)
    return form, ""
