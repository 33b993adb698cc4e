"""The import format, declared once as data.

Everything that knows about the import format reads it from here: the
validator (``store.validate``), the loader, the DuckDB schema check in the
tests, and the README's format table (``arsenal format --markdown``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "COMPONENT",
    "DISTRIBUTIONS",
    "FILES",
    "MAX_FACTOR",
    "MAX_LEAD_MONTHS",
    "MAX_UNITS",
    "MAX_USD",
    "OPTIONAL_FILES",
    "REQUIRED_FILES",
    "STOCK_KINDS",
    "PRODUCTION_KINDS",
    "UNCERTAINTY_KINDS",
    "Column",
    "FileSpec",
    "Reference",
    "file_spec",
    "format_markdown",
]

ColumnType = Literal["id", "text", "number", "integer", "month", "date", "bool", "id_list"]

SOURCE_KINDS = ("us_production", "co_production", "allied_production", "us_stock", "allied_stock")
PRODUCTION_KINDS = ("us_production", "co_production", "allied_production")
STOCK_KINDS = ("us_stock", "allied_stock")
COMPONENT = "component"
"""The item category of parts made to go into other items (``bom.csv``)."""
TIERS = ("most_capable", "frontline", "other")
UNCERTAINTY_KINDS = (
    "ramp_delay_months",
    "capacity_factor",
    "outage_probability",
    "lead_time_extra_months",
    "demand_factor",
)
"""What a row of ``uncertainty.csv`` makes uncertain (the rules: ``store.uncertainty``)."""
DISTRIBUTIONS = ("uniform_int", "uniform", "triangular", "fixed")


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    description: str
    required: bool = True
    """The column must be present in the file."""
    nullable: bool = False
    """An empty cell is accepted (the column's default applies)."""
    allowed: tuple[str, ...] = ()
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    wildcard: bool = False
    """``*`` is accepted and means any."""
    iso3: bool = False
    """An ISO 3166 alpha-3 code: three upper-case letters."""


@dataclass(frozen=True)
class Reference:
    """Values of ``columns`` in this file must exist as ``target`` keys."""

    column: str
    target: Literal["item", "partner", "source", "stock_source", "holder", "commitment"]


@dataclass(frozen=True)
class FileSpec:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = True
    references: tuple[Reference, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


MAX_UNITS = 1e12
"""Any count of units (a stock, a month's output, a promise): a trillion is past every real
figure, and keeps sums and the solver's numbers finite."""
MAX_USD = 1e13
MAX_LEAD_MONTHS = 240
MAX_FACTOR = 1000.0
"""A factor on a rate or a forecast (``uncertainty.csv``, a scenario's multipliers)."""


def _qty(name: str, description: str, unit: str = "units") -> Column:
    maximum = MAX_USD if unit == "USD" else MAX_UNITS
    return Column(name, "number", description, unit=unit, minimum=0.0, maximum=maximum)


FILES: tuple[FileSpec, ...] = (
    FileSpec(
        "items",
        "Munition types.",
        (
            Column("item_id", "id", "Item identifier."),
            Column("name", "text", "Display name."),
            Column(
                "category",
                "id",
                "Category (absorption limits are per category); `component` for parts made to "
                "go into other items (energetics, propellant, rocket motors, fuzes, seekers), "
                "never promised to a partner.",
            ),
            _qty("unit_cost_usd", "Cost of one unit.", unit="USD"),
        ),
        key=("item_id",),
    ),
    FileSpec(
        "partners",
        "Partner nations that receive aid or buy through FMS.",
        (
            Column("partner_id", "id", "ISO 3166 alpha-3 code.", iso3=True),
            Column("name", "text", "Display name."),
            Column("tier", "id", "Partner tier.", allowed=TIERS),
        ),
        key=("partner_id",),
    ),
    FileSpec(
        "sources",
        "Production lines and stocks that can supply partners.",
        (
            Column("source_id", "id", "Source identifier."),
            Column("name", "text", "Display name."),
            Column("kind", "id", "What the source is.", allowed=SOURCE_KINDS),
            Column("country", "id", "ISO 3166 alpha-3 code of the source's country.", iso3=True),
            Column(
                "stock_holder",
                "id",
                "The stock source its output goes to (US plants to the US depot).",
                required=False,
                nullable=True,
            ),
        ),
        key=("source_id",),
        references=(Reference("stock_holder", "stock_source"),),
    ),
    FileSpec(
        "capacity",
        "Production capacity, a step function: a row's rate holds from its month "
        "until the next row for the same source and item; before the first row it is 0.",
        (
            Column("source_id", "id", "A production source."),
            Column("item_id", "id", "Item produced."),
            Column("month", "month", "First month of this rate."),
            _qty("units", "Units the source can produce per month.", unit="units/month"),
        ),
        key=("source_id", "item_id", "month"),
        references=(Reference("source_id", "source"), Reference("item_id", "item")),
    ),
    FileSpec(
        "stockpiles",
        "Stock on hand at a stock source or a partner.",
        (
            Column("holder_id", "id", "A stock source or a partner."),
            Column("item_id", "id", "Item held."),
            Column("as_of", "date", "Date of the count."),
            _qty("units", "Units on hand."),
            _qty("floor_units", "Readiness floor the stock must not be drawn below."),
            Column(
                "target_units",
                "number",
                "The level to rebuild to.",
                required=False,
                nullable=True,
                unit="units",
                minimum=0.0,
                maximum=MAX_UNITS,
            ),
            Column(
                "releasable_to",
                "id_list",
                "`;`-separated partner ids or `ALL` (default: the holder alone).",
                required=False,
                nullable=True,
            ),
        ),
        key=("holder_id", "item_id", "as_of"),
        references=(Reference("holder_id", "holder"), Reference("item_id", "item")),
    ),
    FileSpec(
        "consumption",
        "History of use: fired, expended, training.",
        (
            Column("holder_id", "id", "A stock source or a partner."),
            Column("item_id", "id", "Item used."),
            Column("month", "month", "Month of use."),
            _qty("units", "Units used in the month.", unit="units/month"),
        ),
        key=("holder_id", "item_id", "month"),
        references=(Reference("holder_id", "holder"), Reference("item_id", "item")),
    ),
    FileSpec(
        "commitments",
        "The backlog of promises: aid pledges, FMS cases.",
        (
            Column("commitment_id", "id", "Commitment identifier."),
            Column("partner_id", "id", "Receiving partner."),
            Column("item_id", "id", "Item promised."),
            _qty("quantity", "Units promised."),
            Column("promised_month", "month", "Month the delivery is promised for."),
            Column("priority", "integer", "1 highest to 5.", minimum=1, maximum=5),
            Column("announced", "date", "Date the commitment was announced."),
            Column(
                "releasable_to",
                "id_list",
                "`;`-separated partner ids or `ALL` (default: the partner itself).",
                required=False,
                nullable=True,
            ),
        ),
        key=("commitment_id",),
        references=(Reference("partner_id", "partner"), Reference("item_id", "item")),
    ),
    FileSpec(
        "deliveries",
        "Deliveries so far; the backlog is quantity minus these.",
        (
            Column("commitment_id", "id", "Commitment delivered against."),
            Column("source_id", "id", "Source it came from."),
            Column("month", "month", "Month of delivery."),
            _qty("units", "Units delivered."),
        ),
        key=(),
        required=False,
        references=(Reference("commitment_id", "commitment"), Reference("source_id", "source")),
    ),
    FileSpec(
        "eligibility",
        "Route rules. The most specific rule (most non-`*` fields) wins, a deny "
        "winning a tie; with no rule a route is allowed with lead time 0.",
        (
            Column("source_id", "id", "Source, or `*`.", wildcard=True),
            Column("partner_id", "id", "Partner, or `*`.", wildcard=True),
            Column("item_id", "id", "Item, or `*`.", wildcard=True),
            Column("allowed", "bool", "`true` or `false`."),
            Column(
                "lead_time_months",
                "integer",
                "Months from shipment to arrival.",
                unit="months",
                minimum=0,
                maximum=MAX_LEAD_MONTHS,
            ),
            Column("reason", "text", "Export control, interoperability, releasability..."),
        ),
        key=("source_id", "partner_id", "item_id"),
        required=False,
        references=(
            Reference("source_id", "source"),
            Reference("partner_id", "partner"),
            Reference("item_id", "item"),
        ),
    ),
    FileSpec(
        "absorption",
        "What a partner can receive and put to use per month.",
        (
            Column("partner_id", "id", "Partner."),
            Column("category", "id", "Item category."),
            _qty("units_per_month", "Units per month.", unit="units/month"),
        ),
        key=("partner_id", "category"),
        required=False,
        references=(Reference("partner_id", "partner"),),
    ),
    FileSpec(
        "expansion_options",
        "Capacity that can be bought: added from purchase plus lead time.",
        (
            Column("option_id", "id", "Option identifier."),
            Column("source_id", "id", "Production source expanded."),
            Column("item_id", "id", "Item."),
            _qty("added_units_per_month", "Capacity added.", unit="units/month"),
            Column(
                "lead_time_months",
                "integer",
                "Months from purchase to added capacity.",
                unit="months",
                minimum=0,
                maximum=MAX_LEAD_MONTHS,
            ),
            _qty("cost_usd", "Cost of the option.", unit="USD"),
        ),
        key=("option_id",),
        required=False,
        references=(Reference("source_id", "source"), Reference("item_id", "item")),
    ),
    FileSpec(
        "bom",
        "Bills of materials: the components a line uses per unit it makes. Each component has "
        "one pool, named by the component id, that all its lines feed and all lines using it "
        "draw from. No cycles.",
        (
            Column("item_id", "id", "The item made (an end item or a component)."),
            Column("component_id", "id", "A component it uses (an item of category `component`)."),
            Column(
                "units_per_item",
                "number",
                "Units of the component per unit of the item (more than 0).",
                unit="units",
                minimum=0.0,
                maximum=MAX_UNITS,
            ),
            Column(
                "lead_time_months",
                "integer",
                "The component is made that many months before the item that uses it.",
                unit="months",
                minimum=0,
                maximum=MAX_LEAD_MONTHS,
            ),
            Column(
                "source_id",
                "id",
                "The line this row applies to (default: every line of the item).",
                required=False,
                nullable=True,
            ),
        ),
        key=("item_id", "component_id", "source_id"),
        required=False,
        references=(
            Reference("item_id", "item"),
            Reference("component_id", "item"),
            Reference("source_id", "source"),
        ),
    ),
    FileSpec(
        "uncertainty",
        "What may turn out otherwise than planned, sampled per simulated future: ramp slips, "
        "capacity factors, outages, lead-time stretch, demand factors. Rows are rules, matched "
        "like eligibility: for a line, route or holder and a kind, the most specific rule (most "
        "non-`*` fields) wins.",
        (
            Column(
                "target",
                "id",
                "A source, a holder or `*`: a production source for `ramp_delay_months`, "
                "`capacity_factor` and `outage_probability`; a stock source or a partner for "
                "`demand_factor`; for `lead_time_extra_months` a source (routes from it) or a "
                "partner (routes to it).",
                wildcard=True,
            ),
            Column("item_id", "id", "Item, or `*`.", wildcard=True),
            Column(
                "kind",
                "id",
                "`ramp_delay_months`: every capacity step of the line dated after the plan's "
                "start shifts later by the sample (whole months); `capacity_factor`: the line's "
                "capacity times the sample, drawn once per future; `outage_probability`: each "
                "month, with this probability, the line makes nothing; `lead_time_extra_months`: "
                "the route's lead time plus the sample (whole months); `demand_factor`: the "
                "holder's forecast consumption times the sample.",
                allowed=UNCERTAINTY_KINDS,
            ),
            Column(
                "distribution",
                "id",
                "What the sample is drawn from: `uniform_int` (whole numbers `low` to `high`, "
                "month kinds only), `uniform`, `triangular` (`low`, `mode`, `high`) or `fixed` "
                "(`low` itself). Month kinds take `uniform_int` or `fixed`, the others any but "
                "`uniform_int`.",
                allowed=DISTRIBUTIONS,
            ),
            Column(
                "low",
                "number",
                "The lowest value (the value itself for `fixed`): months are whole, at most "
                f"{MAX_LEAD_MONTHS}; a probability is at most 1.",
                minimum=0.0,
                maximum=MAX_FACTOR,
            ),
            Column(
                "mode",
                "number",
                "The most likely value, from `low` to `high`: `triangular` only, empty otherwise.",
                required=False,
                nullable=True,
                minimum=0.0,
                maximum=MAX_FACTOR,
            ),
            Column(
                "high",
                "number",
                "The highest value, at least `low`: every distribution but `fixed` (empty there).",
                required=False,
                nullable=True,
                minimum=0.0,
                maximum=MAX_FACTOR,
            ),
        ),
        key=("target", "item_id", "kind"),
        required=False,
        references=(Reference("item_id", "item"),),
    ),
)

REQUIRED_FILES = tuple(f.name for f in FILES if f.required)
OPTIONAL_FILES = tuple(f.name for f in FILES if not f.required)
_BY_NAME = {f.name: f for f in FILES}


def file_spec(name: str) -> FileSpec:
    return _BY_NAME[name]


_TYPE_WORDS = {
    "id": "id",
    "text": "text",
    "number": "number >= 0",
    "integer": "integer",
    "month": "`YYYY-MM`",
    "date": "`YYYY-MM-DD`",
    "bool": "`true`/`false`",
    "id_list": "ids `;` or `ALL`",
}


def format_markdown() -> str:
    """The import format as Markdown tables (the README's format section)."""
    out: list[str] = []
    for spec in FILES:
        need = "required" if spec.required else "optional"
        out.append(f"### `{spec.name}.csv` ({need})\n\n{spec.description}\n")
        if spec.key:
            out.append(f"Key: {', '.join(f'`{k}`' for k in spec.key)}.\n")
        out.append("| column | type | required | allowed / range | unit | description |")
        out.append("|---|---|---|---|---|---|")
        for c in spec.columns:
            kind = _TYPE_WORDS[c.type]
            if c.type == "integer" and c.minimum is not None:
                kind = "integer"
            allowed = ", ".join(f"`{a}`" for a in c.allowed)
            if c.minimum is not None and c.maximum is not None:
                allowed = f"{c.minimum:g} to {c.maximum:g}"
            elif c.minimum is not None and c.type == "integer":
                allowed = f">= {c.minimum:g}"
            if c.wildcard:
                allowed = "`*` for any"
            if c.iso3:
                allowed = "ISO 3166 alpha-3"
            req = (
                "yes"
                if c.required and not c.nullable
                else ("column yes, may be empty" if c.required else "no")
            )
            out.append(f"| `{c.name}` | {kind} | {req} | {allowed} | {c.unit} | {c.description} |")
        out.append("")
    return "\n".join(out)
