"""The readiness and least-drawn stages against a second formulation.

The random instances of ``test_optimize_truth`` gain a Ukrainian stock of each item (count,
floor, consumption) that promises and sustainment proposals fill, and a target on the US
depot. A second formulation (the full product of sources, commitments and months, stocks as
direct sums, solved by scipy's linprog) finds the stage-1 optimum, then the least readiness
shortfall among the plans within a hair of it, then the least drawn among those; the plan's
stages must match.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from optimize_helpers import START, checked, month
from scipy.optimize import linprog
from test_optimize_truth import SOURCES, instances, to_dataset

from optimize import allocate


@st.composite
def with_partner_stocks(draw: Any) -> dict[str, Any]:
    inst = draw(instances())
    H = inst["H"]
    inst["ukr"] = {
        i: (
            float(draw(st.integers(0, 20))),  # count
            float(draw(st.integers(0, 15))),  # floor
            [float(draw(st.integers(0, 6))) for _ in range(H)],  # consumption
        )
        for i in inst["items"]
    }
    inst["target"] = {i: float(draw(st.integers(0, 40))) for i in inst["items"]}
    inst["W"] = draw(st.sampled_from([0.0, 1.0, 1000.0]))
    return inst


def _dataset(inst: dict[str, Any]) -> tuple[Any, pl.DataFrame]:
    ds, demand = to_dataset(inst)
    H = inst["H"]
    stock = ds.stockpiles.with_columns(
        target_units=pl.col("item_id").replace_strict(inst["target"], return_dtype=pl.Float64)
    )
    ukr = pl.DataFrame(
        {
            "holder_id": ["UKR"] * len(inst["items"]),
            "item_id": inst["items"],
            "as_of": [date(2025, 11, 15)] * len(inst["items"]),
            "units": [inst["ukr"][i][0] for i in inst["items"]],
            "floor_units": [inst["ukr"][i][1] for i in inst["items"]],
            "target_units": [None] * len(inst["items"]),
            "releasable_to": [None] * len(inst["items"]),
        },
        schema=ds.stockpiles.schema,
    )
    use = pl.DataFrame(
        {
            "holder_id": ["UKR"] * (H * len(inst["items"])),
            "item_id": [i for i in inst["items"] for _ in range(H)],
            "month": [month(t + 1) for _ in inst["items"] for t in range(H)],
            "mean": [u for i in inst["items"] for u in inst["ukr"][i][2]],
        }
    )
    return replace(ds, stockpiles=pl.concat([stock, ukr])), pl.concat([demand, use])


def _verdict(rules: list[dict[str, Any]], s: str, p: str, i: str) -> tuple[bool, int]:
    keys = ("source_id", "partner_id", "item_id")
    match = [
        r for r in rules if all(r[k] in ("*", v) for k, v in zip(keys, (s, p, i), strict=True))
    ]
    if not match:
        return True, 0
    top = max(sum(r[k] != "*" for k in keys) for r in match)
    best = [r for r in match if sum(r[k] != "*" for k in keys) == top]
    if any(not r["allowed"] for r in best):
        return False, 0
    return True, max(r["lead_time_months"] for r in best)


def second_formulation(inst: dict[str, Any]) -> tuple[float, float, float]:
    """(stage-1 optimum, least readiness shortfall among its plans, least drawn among those),
    every column of the full product, sums written out."""
    H, items, coms = inst["H"], inst["items"], inst["coms"]

    def rate(s: str, i: str, t: int) -> float:
        out = 0.0
        for k, u in inst["cap"].get((s, i), []):
            if k <= t:
                out = u
        return out

    has_pool = {("DEPOT", i) for i in items} | {
        ("P1", i) for i in items if ("P1", i) in inst["cap"]
    }
    has_pool |= {("P2", i) for i in items if ("P2", i) in inst["cap"]}
    pool_of = {(s, i): ("P2", i) if s == "P2" else ("DEPOT", i) for s, i in has_pool}
    pools = sorted(set(pool_of.values()))
    q = [max(c["qty"] - c["delivered"], 0.0) for c in coms]
    due = [max(c["due"], 0) for c in coms]
    names: list[tuple] = [
        ("ship", s, c, t) for s in SOURCES for c in range(len(coms)) for t in range(H)
    ]
    names += [("sus", s, i, t) for s in SOURCES for i in items for t in range(H)]
    names += [(k, p, t) for k in ("inv", "breach", "gap_t") for p in pools for t in range(H)]
    names += [(k, i, t) for k in ("lvl", "gap_f") for i in items for t in range(H)]
    names += [("late", c, t) for c in range(len(coms)) for t in range(H)]
    col = {n: j for j, n in enumerate(names)}
    n = len(names)
    bounds: list[tuple[float | None, float | None]] = [(0.0, None)] * n
    c1, c2, c3 = np.zeros(n), np.zeros(n), np.zeros(n)
    lead: dict[tuple, int] = {}
    for s in SOURCES:
        for c, com in enumerate(coms):
            ok, L = _verdict(inst["rules"], s, com["partner"], com["item"])
            ok = ok and (s, com["item"]) in has_pool and q[c] > 1e-9
            lead[("c", s, c)] = L
            for t in range(H):
                if not ok or t + L >= H:
                    bounds[col[("ship", s, c, t)]] = (0.0, 0.0)
                elif s == "DEPOT" or pool_of[(s, com["item"])][0] == "DEPOT":
                    c3[col[("ship", s, c, t)]] = 1.0
        for i in items:
            ok, L = _verdict(inst["rules"], s, "UKR", i)
            ok = ok and (s, i) in has_pool and inst["ukr"][i][1] > 0
            lead[("s", s, i)] = L
            for t in range(H):
                if not ok or t + L >= H:
                    bounds[col[("sus", s, i, t)]] = (0.0, 0.0)
                else:
                    c3[col[("sus", s, i, t)]] = 1.0 + (pool_of[(s, i)][0] == "DEPOT")
    for p in pools:
        for t in range(H):
            bounds[col[("inv", p, t)]] = (None, None)
            c1[col[("breach", p, t)]] = 16.0 * H + 1.0
            tg = inst["target"][p[1]] if p[0] == "DEPOT" else 0.0
            if tg > 0:
                c2[col[("gap_t", p, t)]] = inst["W"] / tg
    for i in items:
        for t in range(H):
            bounds[col[("lvl", i, t)]] = (None, None)
            fl = inst["ukr"][i][1]
            if fl > 0:
                c2[col[("gap_f", i, t)]] = 4.0 / fl  # frontline, an independent copy
    for c, com in enumerate(coms):
        for t in range(due[c], H):
            c1[col[("late", c, t)]] = 2.0 ** (5 - com["priority"])
    A_eq, b_eq, A_ub, b_ub = [], [], [], []

    def row() -> np.ndarray:
        return np.zeros(n)

    for p in pools:
        s0, fl = inst["stock"][p[1]] if p[0] == "DEPOT" else (0.0, 0.0)
        feeders = ["P1"] if p[0] == "DEPOT" else ["P2"]
        net = s0
        for t in range(H):
            net += sum(rate(f, p[1], t) for f in feeders) - (
                inst["use"][p[1]][t] if p[0] == "DEPOT" else 0.0
            )
            r = row()
            r[col[("inv", p, t)]] = 1.0
            for s in SOURCES:
                if pool_of.get((s, p[1])) == p:
                    for tau in range(t + 1):
                        r[col[("sus", s, p[1], tau)]] = 1.0
                        for c, com in enumerate(coms):
                            if com["item"] == p[1]:
                                r[col[("ship", s, c, tau)]] = 1.0
            A_eq.append(r)
            b_eq.append(net)
            r = row()
            r[col[("inv", p, t)]] = r[col[("breach", p, t)]] = -1.0
            A_ub.append(r)
            b_ub.append(-fl)
            tg = inst["target"][p[1]] if p[0] == "DEPOT" else 0.0
            r = row()
            r[col[("inv", p, t)]] = r[col[("gap_t", p, t)]] = -1.0
            A_ub.append(r)
            b_ub.append(-tg)
    for i in items:
        s0, fl, use = inst["ukr"][i]
        for t in range(H):
            r = row()
            r[col[("lvl", i, t)]] = 1.0
            for s in SOURCES:
                for tau in range(H):
                    if tau + lead[("s", s, i)] <= t:
                        r[col[("sus", s, i, tau)]] = -1.0
                    for c, com in enumerate(coms):
                        if (
                            com["partner"] == "UKR"
                            and com["item"] == i
                            and tau + lead[("c", s, c)] <= t
                        ):
                            r[col[("ship", s, c, tau)]] = -1.0
            A_eq.append(r)
            b_eq.append(s0 - sum(use[: t + 1]))
            r = row()
            r[col[("lvl", i, t)]] = r[col[("gap_f", i, t)]] = -1.0
            A_ub.append(r)
            b_ub.append(-fl)
    for c in range(len(coms)):
        r = row()
        for s in SOURCES:
            for t in range(H):
                r[col[("ship", s, c, t)]] = 1.0
        A_ub.append(r)
        b_ub.append(q[c])
        for t in range(due[c], H):
            r = row()
            r[col[("late", c, t)]] = -1.0
            for s in SOURCES:
                for tau in range(H):
                    if tau + lead[("c", s, c)] <= t:
                        r[col[("ship", s, c, tau)]] = -1.0
            A_ub.append(r)
            b_ub.append(-q[c])
    for p, u in inst["absorb"].items():
        for t in range(H):
            r = row()
            for s in SOURCES:
                for c, com in enumerate(coms):
                    tau = t - lead[("c", s, c)]
                    if com["partner"] == p and tau >= 0:
                        r[col[("ship", s, c, tau)]] = 1.0
                for i in items:
                    tau = t - lead[("s", s, i)]
                    if p == "UKR" and tau >= 0:
                        r[col[("sus", s, i, tau)]] = 1.0
            A_ub.append(r)
            b_ub.append(u)
    optima: list[float] = []
    holds: list[int] = []
    for cost in (c1, c2, c3):
        # a stage's optimum held to 1e-9 of itself: a looser hold lets the next stage trade
        # a sliver of lateness (weights up to 16) for a visible sliver of units drawn. scipy's
        # HiGHS may call so tight a hold infeasible (its feasibility tolerance is 1e-7): then
        # the holds are relaxed step by step, never past 1e-7 of each optimum.
        for slack in (1e-9, 1e-8, 1e-7):
            for k, row in enumerate(holds):
                b_ub[row] = optima[k] + slack * max(1.0, abs(optima[k]))
            res = linprog(cost, A_ub=np.array(A_ub), b_ub=b_ub, A_eq=np.array(A_eq), b_eq=b_eq,
                          bounds=bounds, method="highs")  # fmt: skip
            if res.status != 2:
                break
        assert res.status == 0, res.message
        optima.append(float(res.fun))
        A_ub.append(cost)
        holds.append(len(b_ub))
        b_ub.append(res.fun + 1e-9 * max(1.0, abs(res.fun)))
    return optima[0], optima[1], optima[2]


# found by a fresh run: scipy's HiGHS called the 1e-9 hold of the lateness optimum infeasible
SLIVER = {
    "H": 5,
    "items": ["A", "B"],
    "stock": {"A": (5.0, 0.0), "B": (6.0, 0.0)},
    "cap": {("P1", "B"): [(2, 1.0)]},
    "use": {"A": [0.0] * 5, "B": [3.0, 4.0, 0.0, 0.0, 0.0]},
    "coms": [
        {"id": f"C{k}", "partner": "UKR", "item": "A", "qty": 1.0, "delivered": 0.0}
        | {"due": 0, "priority": p}
        for k, p in enumerate([4, 1, 1, 1])
    ],
    "rules": [],
    "absorb": {},
    "ukr": {"A": (0.0, 0.0, [0.0] * 5), "B": (0.0, 0.0, [0.0] * 5)},
    "target": {"A": 2.0, "B": 0.0},
    "W": 1.0,
}


# derandomized: the same 40 instances on every machine (CI starts with no example database)
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(with_partner_stocks())
@example(inst=SLIVER)
def test_readiness_and_least_drawn_as_the_second_formulation(inst: dict[str, Any]) -> None:
    ds, demand = _dataset(inst)
    plan = checked(ds, allocate(ds, demand, START, inst["H"], us_target_weight=inst["W"]), demand)
    lateness, readiness, drawn = second_formulation(inst)
    stages = dict(plan.stages)
    assert stages["lateness"] == pytest.approx(lateness, rel=1e-6, abs=1e-5)
    assert stages["readiness"] == pytest.approx(readiness, rel=1e-5, abs=1e-5)
    if stages["fair_shares"] is None:
        # without fair shares the least drawn is over the same face as here
        # the stage before it is held to its optimum within the solver's tolerances, which
        # leaves the units drawn free by ~1e-4 (an instance drew 5.99989 against 6.0)
        assert stages["least_drawn"] == pytest.approx(drawn, rel=1e-4, abs=1e-4)
