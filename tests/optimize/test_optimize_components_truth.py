"""Bills of materials against a second formulation: random small instances with components
(one or two levels, lead times, component stock at the start), solved by the project and by
a cumulative-sum LP written here from the rules (scipy's linprog)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from optimize_helpers import START, base_tables, checked, commitment, make_dataset, month
from scipy.optimize import linprog

from optimize import allocate

PARTNERS = ("UKR", "POL")


@st.composite
def instances(draw: Any) -> dict[str, Any]:
    H = draw(st.integers(2, 5))
    items = ["A", "B"][: draw(st.integers(1, 2))]
    small = st.integers(0, 12).map(float)
    inst: dict[str, Any] = {"H": H, "items": items}
    inst["stock"] = {i: (float(draw(st.integers(0, 20))), 0.0) for i in items}
    for i in items:
        s0 = inst["stock"][i][0]
        inst["stock"][i] = (s0, float(draw(st.integers(0, int(s0)))))
    inst["rate"] = {i: [draw(small) for _ in range(H)] for i in items}
    inst["bill"] = {
        i: (float(draw(st.integers(1, 3))), draw(st.integers(0, 2)))
        for i in items
        if draw(st.booleans()) or i == "A"
    }
    inst["k_rate"] = [draw(small) for _ in range(H)]
    inst["k_stock"] = float(draw(st.integers(0, 15)))
    # K itself may need J (a second level)
    inst["j"] = (
        (float(draw(st.integers(1, 2))), draw(st.integers(0, 1)), [draw(small) for _ in range(H)])
        if draw(st.booleans())
        else None
    )
    inst["j_stock"] = float(draw(st.integers(0, 10)))
    inst["use"] = {i: [float(draw(st.integers(0, 3))) for _ in range(H)] for i in items}
    inst["lead"] = draw(st.integers(0, 1))
    inst["coms"] = [
        {
            "id": f"C{k}",
            "partner": draw(st.sampled_from(PARTNERS)),
            "item": draw(st.sampled_from(items)),
            "qty": float(draw(st.integers(1, 30))),
            "due": draw(st.integers(-1, H)),
            "priority": draw(st.integers(1, 5)),
        }
        for k in range(draw(st.integers(1, 3)))
    ]
    return inst


def _line(s: str, holder: str | None = None) -> dict:
    return {
        "source_id": s,
        "name": s,
        "kind": "us_production",
        "country": "USA",
        "stock_holder": holder,
    }


def to_dataset(inst: dict[str, Any]) -> tuple[Any, pl.DataFrame]:
    H, items = inst["H"], inst["items"]
    t = base_tables(tuple(items), PARTNERS)
    comps = ["K", "J"] if inst["j"] else ["K"]
    t["items"] += [
        {"item_id": c, "name": c, "category": "component", "unit_cost_usd": 1.0} for c in comps
    ]

    def rates(s: str, i: str, values: list[float]) -> list[dict]:
        return [
            {"source_id": s, "item_id": i, "month": month(k + 1), "units": u}
            for k, u in enumerate(values)
        ]

    def count(i: str, units: float, floor: float = 0.0) -> dict:
        return {
            "holder_id": "DEPOT",
            "item_id": i,
            "as_of": date(2025, 11, 15),
            "units": units,
            "floor_units": floor,
        }

    capacity = [r for i in items for r in rates("P1", i, inst["rate"][i])]
    capacity += rates("PK", "K", inst["k_rate"])
    bom = [
        {"item_id": i, "component_id": "K", "units_per_item": per, "lead_time_months": lead}
        for i, (per, lead) in inst["bill"].items()
    ]
    stocks = [count(i, *inst["stock"][i]) for i in items] + [count("K", inst["k_stock"])]
    if inst["j"]:
        per, lead, j_rate = inst["j"]
        capacity += rates("PJ", "J", j_rate)
        bom.append(
            {"item_id": "K", "component_id": "J", "units_per_item": per, "lead_time_months": lead}
        )
        stocks.append(count("J", inst["j_stock"]))
    ds = make_dataset(
        **t,
        sources=[
            {"source_id": "DEPOT", "name": "d", "kind": "us_stock", "country": "USA"},
            _line("P1", "DEPOT"),
            _line("PK", "DEPOT"),
            _line("PJ"),
        ],
        stockpiles=stocks,
        capacity=capacity,
        bom=bom,
        commitments=[
            commitment(c["id"], c["partner"], c["item"], c["qty"], c["due"] + 1, c["priority"])
            for c in inst["coms"]
        ],
        eligibility=[
            {
                "source_id": "*",
                "partner_id": "*",
                "item_id": "*",
                "allowed": True,
                "lead_time_months": inst["lead"],
                "reason": "r",
            }
        ],
    )
    demand = pl.DataFrame(
        {
            "holder_id": ["DEPOT"] * (H * len(items)),
            "item_id": [i for i in items for _ in range(H)],
            "month": [month(k + 1) for _ in items for k in range(H)],
            "mean": [u for i in items for u in inst["use"][i]],
        }
    )
    return ds, demand


def second_formulation(inst: dict[str, Any]) -> float:
    """Stocks as cumulative sums (no level columns): an item's stock in month t is its start
    plus everything made up to t, minus use and shipments up to t; a component's stock in
    month tau is its start plus its output up to tau minus every unit it went into whose
    month minus lead time is at most tau (the first months' units only from the start stock).
    Floors elastic at 16 H + 1 per unit-month, lateness weighted 2^(5 - priority)."""
    H, items, coms = inst["H"], inst["items"], inst["coms"]
    big = 16.0 * H + 1.0
    L = inst["lead"]
    made_items = list(inst["bill"])
    k_made = inst["j"] is not None
    names: list[tuple] = [("ship", c, t) for c in range(len(coms)) for t in range(H)]
    names += [("make", i, t) for i in made_items for t in range(H)]
    names += [("makeK", t) for t in range(H)] if k_made else []
    pools = [*items, "K", *(["J"] if k_made else [])]
    names += [("breach", p, t) for p in pools for t in range(H)]
    names += [("late", c, t) for c in range(len(coms)) for t in range(H)]
    col = {n: j for j, n in enumerate(names)}
    n = len(names)
    cost = np.zeros(n)
    bounds: list[tuple[float, float | None]] = [(0.0, None)] * n
    for c, com in enumerate(coms):
        for t in range(H):
            if t + L >= H:
                bounds[col[("ship", c, t)]] = (0.0, 0.0)
        for t in range(max(com["due"], 0), H):
            cost[col[("late", c, t)]] = 2.0 ** (5 - com["priority"])
    for i in made_items:
        for t in range(H):
            bounds[col[("make", i, t)]] = (0.0, inst["rate"][i][t])
    if k_made:
        for t in range(H):
            bounds[col[("makeK", t)]] = (0.0, inst["k_rate"][t])
    for p in pools:
        for t in range(H):
            cost[col[("breach", p, t)]] = big
    A, b = [], []

    def leq(row: np.ndarray, rhs: float) -> None:
        A.append(row)
        b.append(rhs)

    for i in items:
        s0, floor = inst["stock"][i]
        for t in range(H):
            # -(stock_t) - breach <= -floor, stock_t = s0 + made - use - shipped
            row, const = np.zeros(n), s0
            for tau in range(t + 1):
                if i in made_items:
                    row[col[("make", i, tau)]] -= 1.0
                else:
                    const += inst["rate"][i][tau]
                const -= inst["use"][i][tau]
                for c, com in enumerate(coms):
                    if com["item"] == i:
                        row[col[("ship", c, tau)]] += 1.0
            row[col[("breach", i, t)]] = -1.0
            leq(row, const - floor)

    def component(name: str, start: float, users: list[tuple[str, float, int]], made: bool) -> None:
        """users: (the column family's key, units per unit, lead)."""
        early = np.zeros(n)
        for tau in range(H):
            row, const = np.zeros(n), start
            for k in range(tau + 1):
                if made:
                    row[col[("makeK", k)]] -= 1.0
                else:
                    const += inst["k_rate"][k] if name == "K" else inst["j"][2][k]
            for key, per, lead in users:
                for t in range(H):
                    if t - lead <= tau:
                        row[col[key + (t,)]] += per
                    if tau == 0 and t - lead < 0:
                        early[col[key + (t,)]] += per
            row[col[("breach", name, tau)]] = -1.0
            leq(row, const)
        leq(early, start)

    component("K", inst["k_stock"], [(("make", i), *inst["bill"][i]) for i in made_items], k_made)
    if k_made:
        per, lead, _ = inst["j"]
        component("J", inst["j_stock"], [(("makeK",), per, lead)], False)
    for c, com in enumerate(coms):
        q = com["qty"]
        row = np.zeros(n)
        for t in range(H):
            row[col[("ship", c, t)]] = 1.0
        leq(row, q)
        for t in range(max(com["due"], 0), H):
            row = np.zeros(n)
            row[col[("late", c, t)]] = -1.0
            for tau in range(t - L + 1):
                row[col[("ship", c, tau)]] = -1.0
            leq(row, -q)
    res = linprog(cost, A_ub=np.array(A), b_ub=b, bounds=bounds, method="highs")
    assert res.status == 0, res.message
    return float(res.fun)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_same_optimum_as_second_formulation(inst: dict[str, Any]) -> None:
    ds, demand = to_dataset(inst)
    plan = checked(ds, allocate(ds, demand, START, inst["H"]), demand)
    penalty = 16.0 * inst["H"] + 1.0
    ours = plan.weighted_late_unit_months + penalty * plan.floor_breach_unit_months
    # the plan reports both figures rounded to 6 decimals: the penalty multiplies the breach's
    # rounding (hypothesis found 11/33 breach unit-months, reported 0.333333: 10.999989)
    rounding = 5e-7 * (1.0 + penalty)
    assert ours == pytest.approx(second_formulation(inst), rel=1e-6, abs=1e-5 + rounding)
    assert dict(plan.stages)["lateness"] == pytest.approx(ours, rel=1e-6, abs=1e-5 + rounding)
