"""Benchmark: the project's allocation path against the same LP built directly for highspy.

For instances of about 5e3, 4e4, 1.2e5 and 8e5 columns it reports build time,
solve time and peak memory (each case in a fresh process) for

* ``project``: ``optimize`` end to end (sets, ``define_*``, the staged HiGHS solve, plan frames);
* ``floor``: the same LP written straight into numpy arrays and passed to HiGHS with
  ``passModel``, solved in the same stages (lateness, readiness, fair shares by progressive
  filling, least drawn, and spare capacity with bills of materials; no names, no frames, no
  checks).

The instances hold partner stocks (one item per partner, floor, consumption) and targets on
the stock sources, so partner pools, sustainment and every stage take part. The project's
line also gives stage 1's time and all later stages' together.

With ``--bom`` the instances are those with bills of materials (a separate table, "with bills
of materials"): the same instance, plus, for 20% of the items (at least one), a bill of three
components (``bom.csv`` rows without a source, so every line of the item): ``MOTOR`` and
``SEEKER``, shared by all those items, and a part of the item's own, 1 or 2 units per item,
made 0-2 months before. Each component (an item of category ``component``) has one or two
``us_production`` lines without a stock holder, whose rates together are 60-100% of what the
lines using it could draw at full capacity, and a starting stock (with a floor) at one of the
stock sources, so components bind in some months. The floor then also has the ``make``
columns, the ``line`` rows, one pool per component (inventory, breach, floor) and the
``bom_start`` rows, and the last stage, ``spare_capacity``.

Usage: ``.venv/bin/python bench/allocate.py [--sizes 5e3,4e4,1.2e5,8e5] [--seed 0] [--repeat 3] [--bom]``

Both paths pass HiGHS the same LP (columns and rows in another order), so the optima agree:
each size prints both paths' optimum of every stage and whether they match (relative 1e-6).
The fastest of ``--repeat`` interleaved runs counts, because on a shared machine one run's
solve time can vary by 50%.

"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date

import numpy as np
import polars as pl

H = 36
START = date(2027, 1, 1)
ITEMS, PARTNERS = 12, 20
PROD_PER_ITEM, STOCK_PER_ITEM = 4, 2
COLS_PER_COMMITMENT = 230  # about 4.8 routes x 34.5 months + 60 arrival/lateness columns
BOM_SHARE = 0.2  # items with a bill of materials (--bom)


def instance(target: float, seed: int, bom: bool = False) -> dict:
    """Raw arrays: sources each hold one item (production lines keep their own pool); with
    ``bom``, bills of materials for a fifth of the items (``_bills``)."""
    rng = np.random.default_rng(seed)
    n_c = max(5, int((target - 2 * 72 * H) / COLS_PER_COMMITMENT))
    items = np.arange(ITEMS)
    src_item = np.concatenate([np.repeat(items, PROD_PER_ITEM), np.repeat(items, STOCK_PER_ITEM)])
    is_stock = np.concatenate(
        [np.zeros(ITEMS * PROD_PER_ITEM, bool), np.ones(ITEMS * STOCK_PER_ITEM, bool)]
    )
    n_s = src_item.size
    rate = np.where(is_stock, 0.0, rng.integers(5, 50, n_s)).astype(float) * max(1.0, n_c / 200)
    stock = np.where(is_stock, rng.integers(100, 1000, n_s), 0).astype(float) * max(1.0, n_c / 200)
    floor = np.where(is_stock, stock * rng.uniform(0.2, 0.6, n_s), 0.0).round()
    use = np.where(is_stock, rng.integers(0, 20, n_s), 0).astype(float)
    allowed = rng.random((n_s, PARTNERS)) < 0.8
    lead = rng.integers(0, 4, (n_s, PARTNERS))
    com_item = rng.integers(0, ITEMS, n_c)
    com_partner = rng.integers(0, PARTNERS, n_c)
    qty = rng.integers(50, 2000, n_c).astype(float)
    due = rng.integers(-3, H, n_c)
    prio = rng.integers(1, 6, n_c)
    absorb = rng.integers(500, 5000, PARTNERS).astype(float) * max(1.0, n_c / 200)
    # partner stocks (one item each, the partner's absorption category) and US targets, drawn
    # from their own stream so the rest of the instance stays as before
    rng2 = np.random.default_rng(seed + 1)
    scale = max(1.0, n_c / 200)
    p_stock = rng2.integers(0, 400, PARTNERS).astype(float) * scale
    p_floor = (p_stock * rng2.uniform(0.3, 1.2, PARTNERS)).round()
    p_use = (rng2.integers(5, 40, PARTNERS) * scale / 4).round()
    target = np.where(is_stock, (stock * rng2.uniform(1.0, 1.4, n_s)).round(), 0.0)
    raw = dict(
        src_item=src_item, is_stock=is_stock, rate=rate, stock=stock, floor=floor, use=use,
        allowed=allowed, lead=lead, com_item=com_item, com_partner=com_partner, qty=qty,
        due=due, prio=prio, absorb=absorb, p_item=np.arange(PARTNERS) % ITEMS,
        p_stock=p_stock, p_floor=p_floor, p_use=p_use, target=target,
    )  # fmt: skip
    raw.update(_bills(raw, seed) if bom else _no_bills())
    return raw


def _no_bills() -> dict:
    return dict(
        comp_names=[], bom_parent=np.zeros(0, int), bom_comp=np.zeros(0, int),
        bom_per=np.zeros(0), bom_lead=np.zeros(0, int), cl_comp=np.zeros(0, int),
        cl_rate=np.zeros(0), comp_stock=np.zeros(0), comp_floor=np.zeros(0),
        comp_holder=np.zeros(0, int),
    )  # fmt: skip


def _bills(raw: dict, seed: int) -> dict:
    """A fifth of the items (at least one) get a three-component bill: MOTOR and SEEKER,
    shared by all of them, and a part of their own; 1 or 2 units per item, made 0-2 months
    before. Each component has one or two lines whose rates together cover 60-100% of what
    the lines using it could draw at full capacity, and a starting stock (one to three months
    of that draw, a floor of up to 30% of it) at one of the stock sources. Drawn from their
    own stream, so the rest of the instance stays as without bills."""
    rng = np.random.default_rng(seed + 2)
    n_b = max(1, round(BOM_SHARE * ITEMS))
    bom_items = np.sort(rng.choice(ITEMS, n_b, replace=False))
    comp_names = ["MOTOR", "SEEKER"] + [f"PART{i:02d}" for i in bom_items]
    n_k = len(comp_names)
    bom_parent = np.repeat(bom_items, 3)
    bom_comp = np.stack([np.zeros(n_b, int), np.ones(n_b, int), 2 + np.arange(n_b)], 1).ravel()
    bom_per = rng.integers(1, 3, bom_parent.size).astype(float)
    bom_lead = rng.integers(0, 3, bom_parent.size)
    # what the lines of each item could make, and so draw of each component, at full capacity
    full = np.bincount(raw["src_item"], weights=raw["rate"], minlength=ITEMS)
    need = np.bincount(bom_comp, weights=bom_per * full[bom_parent], minlength=n_k)
    n_lines = rng.integers(1, 3, n_k)
    cl_comp = np.repeat(np.arange(n_k), n_lines)
    share = rng.uniform(0.3, 1.0, cl_comp.size)
    share /= np.bincount(cl_comp, weights=share, minlength=n_k)[cl_comp]
    cl_rate = (need[cl_comp] * rng.uniform(0.6, 1.0, n_k)[cl_comp] * share).round()
    comp_stock = (need * rng.uniform(1.0, 3.0, n_k)).round()
    comp_floor = (comp_stock * rng.uniform(0.0, 0.3, n_k)).round()
    comp_holder = rng.choice(np.nonzero(raw["is_stock"])[0], n_k)
    return dict(
        comp_names=comp_names, bom_parent=bom_parent, bom_comp=bom_comp, bom_per=bom_per,
        bom_lead=bom_lead, cl_comp=cl_comp, cl_rate=cl_rate, comp_stock=comp_stock,
        comp_floor=comp_floor, comp_holder=comp_holder,
    )  # fmt: skip


_TYPES = {"id": pl.String, "text": pl.String, "number": pl.Float64, "integer": pl.Int32, "month": pl.Date,
          "date": pl.Date, "bool": pl.Boolean, "id_list": pl.String}  # fmt: skip


def to_dataset(raw: dict):  # noqa: ANN201
    from store.contract import FILES
    from store.dataset import Dataset

    n_s, n_c = raw["src_item"].size, raw["qty"].size
    sid = [f"S{k:03d}" for k in range(n_s)]
    pid = [f"P{k:02d}" for k in range(PARTNERS)]
    iid = [f"I{k:02d}" for k in range(ITEMS)]
    prod = [k for k in range(n_s) if not raw["is_stock"][k]]
    stock = [k for k in range(n_s) if raw["is_stock"][k]]
    pairs = [(s, p) for s in range(n_s) for p in range(PARTNERS)]
    # components (none without --bom): items of category component, their lines (no stock
    # holder: each feeds the component's one pool) and their stocks at stock sources
    kid = raw["comp_names"]
    n_k, n_cl = len(kid), raw["cl_comp"].size
    lid = [f"K{k:02d}" for k in range(n_cl)]
    tables = {
        "items": pl.DataFrame(
            {
                "item_id": iid + kid,
                "name": iid + kid,
                "category": iid + ["component"] * n_k,
                "unit_cost_usd": [1.0] * (ITEMS + n_k),
            }
        ),
        "partners": pl.DataFrame(
            {"partner_id": pid, "name": pid, "tier": ["frontline"] * PARTNERS}
        ),
        "sources": pl.DataFrame(
            {
                "source_id": sid + lid,
                "name": sid + lid,
                "kind": ["us_stock" if raw["is_stock"][k] else "us_production" for k in range(n_s)]
                + ["us_production"] * n_cl,
                "country": ["USA"] * (n_s + n_cl),
                "stock_holder": [None] * (n_s + n_cl),
            },
            schema_overrides={"stock_holder": pl.String},
        ),
        "capacity": pl.DataFrame(
            {
                "source_id": [sid[k] for k in prod] + lid,
                "item_id": [iid[raw["src_item"][k]] for k in prod]
                + [kid[k] for k in raw["cl_comp"]],
                "month": [date(2020, 1, 1)] * (len(prod) + n_cl),
                "units": np.concatenate([raw["rate"][prod], raw["cl_rate"]]),
            }
        ),
        "stockpiles": pl.DataFrame(
            {
                "holder_id": [sid[k] for k in stock] + pid + [sid[k] for k in raw["comp_holder"]],
                "item_id": [iid[raw["src_item"][k]] for k in stock]
                + [iid[i] for i in raw["p_item"]]
                + kid,
                "as_of": [date(2026, 12, 1)] * (len(stock) + PARTNERS + n_k),
                "units": np.concatenate([raw["stock"][stock], raw["p_stock"], raw["comp_stock"]]),
                "floor_units": np.concatenate(
                    [raw["floor"][stock], raw["p_floor"], raw["comp_floor"]]
                ),
                "target_units": [float(raw["target"][k]) for k in stock]
                + [None] * (PARTNERS + n_k),
                "releasable_to": [None] * (len(stock) + PARTNERS + n_k),
            },
            schema_overrides={"target_units": pl.Float64, "releasable_to": pl.String},
        ),
        "commitments": pl.DataFrame(
            {
                "commitment_id": [f"C{k:05d}" for k in range(n_c)],
                "partner_id": [pid[p] for p in raw["com_partner"]],
                "item_id": [iid[i] for i in raw["com_item"]],
                "quantity": raw["qty"],
                "promised_month": [
                    date(
                        START.year + (START.month - 1 + int(d)) // 12,
                        (START.month - 1 + int(d)) % 12 + 1,
                        1,
                    )
                    for d in raw["due"]
                ],
                "priority": raw["prio"].astype(np.int32),
                "announced": [date(2025, 1, 1)] * n_c,
                "releasable_to": [None] * n_c,
            },
            schema_overrides={"releasable_to": pl.String},
        ),
        "eligibility": pl.DataFrame(
            {
                "source_id": [sid[s] for s, _ in pairs],
                "partner_id": [pid[p] for _, p in pairs],
                "item_id": ["*"] * len(pairs),
                "allowed": [bool(raw["allowed"][s, p]) for s, p in pairs],
                "lead_time_months": [int(raw["lead"][s, p]) for s, p in pairs],
                "reason": ["bench"] * len(pairs),
            },
            schema_overrides={"lead_time_months": pl.Int32},
        ),
        "absorption": pl.DataFrame(
            {
                "partner_id": pid,
                "category": [iid[k % ITEMS] for k in range(PARTNERS)],
                "units_per_month": raw["absorb"],
            }
        ),
        "bom": pl.DataFrame(
            {
                "item_id": [iid[i] for i in raw["bom_parent"]],
                "component_id": [kid[k] for k in raw["bom_comp"]],
                "units_per_item": raw["bom_per"].astype(float),
                "lead_time_months": raw["bom_lead"].astype(np.int32),
                "source_id": [None] * raw["bom_parent"].size,
            },
            schema_overrides={
                "item_id": pl.String,
                "component_id": pl.String,
                "source_id": pl.String,
            },
        ),
    }
    frames = {}
    for spec in FILES:
        frames[spec.name] = tables.get(
            spec.name, pl.DataFrame(schema={c.name: _TYPES[c.type] for c in spec.columns})
        )
    holders = [sid[k] for k in stock] + pid
    held = [iid[raw["src_item"][k]] for k in stock] + [iid[i] for i in raw["p_item"]]
    used = [raw["use"][k] for k in stock] + list(raw["p_use"])
    months = [
        date(START.year + (START.month - 1 + t) // 12, (START.month - 1 + t) % 12 + 1, 1)
        for t in range(H)
    ]
    demand = pl.DataFrame(
        {
            "holder_id": [h for h in holders for _ in range(H)],
            "item_id": [i for i in held for _ in range(H)],
            "month": months * len(holders),
            "mean": [u for u in used for _ in range(H)],
        }
    )

    return Dataset(**frames), demand


def run_project(raw: dict) -> dict:
    from optimize.model import build_model
    from optimize.results import build_plan
    from optimize.sets import build_model_data
    from optimize.solve import solve

    ds, demand = to_dataset(raw)
    t0 = time.perf_counter()
    model = build_model(build_model_data(ds, demand, START, H))
    t1 = time.perf_counter()
    sol = solve(model, "highs")
    t2 = time.perf_counter()
    plan = build_plan(model, sol)
    t3 = time.perf_counter()
    stage1 = dict(sol.stage_seconds)["lateness"]
    return {
        "cols": model.lp.num_col,
        "rows": model.lp.num_row,
        "build": t1 - t0,
        "solve": t2 - t1,
        "results": t3 - t2,
        "stage1": stage1,
        "later": t2 - t1 - stage1,
        "objective": plan.weighted_late_unit_months,
        "stages": dict(plan.stages),
    }


def _fair_groups(raw: dict, rs: np.ndarray, rc: np.ndarray) -> np.ndarray:
    """Commitments of one priority and item sharing an allowed source: a group number each
    (-1 alone), numbered by their first commitment."""
    n_c = raw["qty"].size
    parent = list(range(n_c))

    def find(c: int) -> int:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    first: dict[tuple[int, int, int], int] = {}
    for s, c in sorted(set(zip(rs.tolist(), rc.tolist(), strict=True)), key=lambda x: (x[1], x[0])):
        k = (int(raw["prio"][c]), int(raw["com_item"][c]), s)
        if k in first:
            a, b = find(first[k]), find(c)
            parent[max(a, b)] = min(a, b)
        else:
            first[k] = c
    root = np.array([find(c) for c in range(n_c)])
    size = np.bincount(root, minlength=n_c)
    grouped = size[root] >= 2
    group = np.full(n_c, -1)
    _, group[grouped] = np.unique(root[grouped], return_inverse=True)
    return group


def run_floor(raw: dict) -> dict:
    """The same LP (same stages: lateness, readiness, fair shares, least drawn) straight into
    arrays for passModel, each stage over the optimal face of the ones before."""
    import highspy

    t0 = time.perf_counter()
    n_s, n_c = raw["src_item"].size, raw["qty"].size
    # routes: sources holding the commitment's item, allowed for its partner, arrivals in horizon
    s_of = np.repeat(np.arange(n_s)[None, :], n_c, 0)
    c_of = np.repeat(np.arange(n_c)[:, None], n_s, 1)
    ok = (raw["src_item"][s_of] == raw["com_item"][:, None]) & raw["allowed"][
        s_of, raw["com_partner"][:, None]
    ]
    rs, rc = s_of[ok], c_of[ok]
    rl = raw["lead"][rs, raw["com_partner"][rc]]
    keep = rl < H
    rs, rc, rl = rs[keep], rc[keep], rl[keep]
    cnt = H - rl
    r = np.repeat(np.arange(rs.size), cnt)
    t = np.arange(r.size) - np.repeat(np.concatenate([[0], np.cumsum(cnt)[:-1]]), cnt)
    n_ship = r.size
    # sustainment: sources of each partner's item, allowed, to partner stocks with a floor
    Q = PARTNERS
    q_of = np.repeat(np.arange(Q)[:, None], n_s, 1)
    sq_s = np.repeat(np.arange(n_s)[None, :], Q, 0)
    sok = (
        (raw["src_item"][sq_s] == raw["p_item"][:, None])
        & raw["allowed"][sq_s, q_of]
        & (raw["p_floor"][:, None] > 0)
        & (raw["lead"][sq_s, q_of] < H)
    )
    ss, sqq = sq_s[sok], q_of[sok]
    sl = raw["lead"][ss, sqq]
    scnt = H - sl
    sr = np.repeat(np.arange(ss.size), scnt)
    st = np.arange(sr.size) - np.repeat(np.concatenate([[0], np.cumsum(scnt)[:-1]]), scnt)
    n_sus = sr.size
    # pools: one per source (each source holds one item), then one per component, fed by its
    # lines' capacity and holding its stocks at the stock sources
    n_k = len(raw["comp_names"])
    P = n_s + n_k
    inflow = np.concatenate(
        [raw["rate"], np.bincount(raw["cl_comp"], weights=raw["cl_rate"], minlength=n_k)]
    )
    use = np.concatenate([raw["use"], np.zeros(n_k)])
    start_units = np.concatenate([raw["stock"], raw["comp_stock"]])
    floor_units = np.concatenate([raw["floor"], raw["comp_floor"]])
    # lines with a bill of materials: their output is make[m, t] <= rate, not inflow
    made = np.nonzero(~raw["is_stock"] & np.isin(raw["src_item"], raw["bom_parent"]))[0]
    inflow[made] = 0.0
    n_make = made.size * H
    km = np.arange(n_make)
    # draws: each bill row of the line's item, each month, from the component's pool at
    # max(t - lead, 0); those before the start also in the component's bom_start row
    dm, db = np.nonzero(raw["src_item"][made][:, None] == raw["bom_parent"][None, :])
    dk = np.repeat(dm * H, H) + np.tile(np.arange(H), dm.size)
    db = np.repeat(db, H)
    d_at = dk % H - raw["bom_lead"][db]
    d_pool = n_s + raw["bom_comp"][db]
    early = d_at < 0
    bs = np.nonzero(np.bincount(raw["bom_comp"][db[early]], minlength=n_k))[0]
    due = np.clip(raw["due"], 0, None)
    lcnt = H - np.minimum(due, H)
    lc = np.repeat(np.arange(n_c), lcnt)
    lt = np.arange(lc.size) - np.repeat(np.concatenate([[0], np.cumsum(lcnt)[:-1]]), lcnt) + due[lc]
    qf = np.nonzero(raw["p_floor"] > 0)[0]
    pt = np.nonzero(raw["target"] > 0)[0]
    group = _fair_groups(raw, rs, rc)
    fc = lc[group[lc] >= 0]
    ft = lt[group[lc] >= 0]
    # a fair level per group and month: flv, the level column of each fair row
    _, flv = np.unique(group[fc] * H + ft, return_inverse=True)
    G = int(flv.max(initial=-1)) + 1
    o_sus = n_ship
    o_inv = o_sus + n_sus
    o_br = o_inv + P * H
    o_arr = o_br + P * H
    o_late = o_arr + n_c * H
    o_lvl = o_late + lc.size
    o_gf = o_lvl + Q * H
    o_gt = o_gf + qf.size * H
    o_z = o_gt + pt.size * H
    o_s = o_z + G
    o_make = o_s + fc.size
    n_col = o_make + n_make
    weight = 2.0 ** (5 - raw["prio"])  # independent copy of store.facts.priority_weight
    big = 16.0 * H + 1
    cost = np.zeros(n_col)
    cost[o_br:o_arr] = big
    cost[o_late:o_lvl] = weight[lc]
    lo = np.zeros(n_col)
    lo[o_inv:o_br] = -np.inf
    lo[o_lvl:o_gf] = -np.inf
    up = np.full(n_col, np.inf)
    up[o_arr:o_late] = np.repeat(raw["qty"], H)
    up[o_s:o_make] = 0.0  # fair-share slacks: opened only by the test which rows can do better
    # rows: pool, floor, arrived, late, absorption, partner pool, below floor, below target, fair
    r_pool, r_floor = 0, P * H
    r_arr = r_floor + P * H
    r_late = r_arr + n_c * H
    r_abs = r_late + lc.size
    r_pp = r_abs + PARTNERS * H
    r_gf = r_pp + Q * H
    r_gt = r_gf + qf.size * H
    r_fair = r_gt + pt.size * H
    r_line = r_fair + fc.size
    r_bs = r_line + n_make
    n_row = r_bs + bs.size
    rhs = np.repeat(inflow - use, H).reshape(P, H)
    rhs[:, 0] += start_units
    prhs = -np.repeat(raw["p_use"], H).reshape(Q, H)
    prhs[:, 0] += raw["p_stock"]
    rlo = np.full(n_row, -np.inf)
    rup = np.full(n_row, np.inf)
    rlo[:r_floor] = rup[:r_floor] = rhs.ravel()
    rlo[r_floor:r_arr] = np.repeat(floor_units, H)
    rlo[r_arr:r_late] = rup[r_arr:r_late] = 0.0
    rlo[r_late:r_abs] = raw["qty"][lc]
    rup[r_abs:r_pp] = np.repeat(raw["absorb"], H)
    rlo[r_pp:r_gf] = rup[r_pp:r_gf] = prhs.ravel()
    rlo[r_gf:r_gt] = np.repeat(raw["p_floor"][qf], H)
    rlo[r_gt:r_fair] = np.repeat(raw["target"][pt], H)
    rlo[r_fair:r_line] = 1.0
    rup[r_line:r_bs] = np.repeat(raw["rate"][made], H)
    rup[r_bs:] = raw["comp_stock"][bs]
    k = np.arange(P * H)
    kp = k[k % H != 0]
    j = np.arange(n_c * H)
    jp = j[j % H != 0]
    m = np.arange(Q * H)
    mp = m[m % H != 0]
    arrival = t + rl[r]
    sarrival = st + sl[sr]
    ship_idx = np.arange(n_ship)
    sus_idx = o_sus + np.arange(n_sus)
    partner = raw["com_partner"][rc[r]]
    # absorption rows only bind the partner's own category (item == partner % ITEMS)
    absorbing = raw["com_item"][rc[r]] == partner % ITEMS
    # promise arrivals fill the partner's stock of that item
    into = raw["com_item"][rc[r]] == raw["p_item"][partner]
    gf = np.arange(qf.size * H)
    gt = np.arange(pt.size * H)
    tt = np.tile(np.arange(H), max(qf.size, pt.size, 1))
    nf = np.arange(fc.size)
    rows = np.concatenate([
        r_pool + rs[r] * H + t, r_pool + ss[sr] * H + st, r_pool + k, r_pool + kp,
        r_floor + k, r_floor + k,
        r_arr + rc[r] * H + arrival, r_arr + j, r_arr + jp,
        r_late + np.arange(lc.size), r_late + np.arange(lc.size),
        r_abs + partner[absorbing] * H + arrival[absorbing], r_abs + sqq[sr] * H + sarrival,
        r_pp + m, r_pp + mp, r_pp + partner[into] * H + arrival[into], r_pp + sqq[sr] * H + sarrival,
        r_gf + gf, r_gf + gf,
        r_gt + gt, r_gt + gt,
        r_fair + nf, r_fair + nf, r_fair + nf,
        r_line + km, r_pool + made[km // H] * H + km % H,
        r_pool + d_pool * H + np.maximum(d_at, 0),
        r_bs + np.searchsorted(bs, raw["bom_comp"][db[early]]),
    ])  # fmt: skip
    cols = np.concatenate([
        ship_idx, sus_idx, o_inv + k, o_inv + kp - 1,
        o_inv + k, o_br + k,
        ship_idx, o_arr + j, o_arr + jp - 1,
        o_late + np.arange(lc.size), o_arr + lc * H + lt,
        ship_idx[absorbing], sus_idx,
        o_lvl + m, o_lvl + mp - 1, ship_idx[into], sus_idx,
        o_gf + gf, o_lvl + np.repeat(qf, H) * H + tt[: gf.size],
        o_gt + gt, o_inv + np.repeat(pt, H) * H + tt[: gt.size],
        o_arr + fc * H + ft, o_z + flv, o_s + nf,
        o_make + km, o_make + km,
        o_make + dk,
        o_make + dk[early],
    ])  # fmt: skip
    vals = np.concatenate([
        np.ones(n_ship), np.ones(n_sus), np.ones(k.size), -np.ones(kp.size),
        np.ones(k.size), np.ones(k.size),
        -np.ones(n_ship), np.ones(j.size), -np.ones(jp.size),
        np.ones(lc.size), np.ones(lc.size),
        np.ones(int(absorbing.sum())), np.ones(n_sus),
        np.ones(m.size), -np.ones(mp.size), -np.ones(int(into.sum())), -np.ones(n_sus),
        np.ones(gf.size), np.ones(gf.size),
        np.ones(gt.size), np.ones(gt.size),
        1.0 / raw["qty"][fc], np.ones(fc.size), -np.ones(fc.size),
        np.ones(n_make), -np.ones(n_make),
        raw["bom_per"][db],
        raw["bom_per"][db[early]],
    ])  # fmt: skip
    order = np.lexsort((rows, cols))
    rows, cols, vals = rows[order], cols[order], vals[order]
    start = np.zeros(n_col + 1, dtype=np.int32)
    np.cumsum(np.bincount(cols, minlength=n_col), out=start[1:])
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(
        n_col, n_row, vals.size, 1, 1, 0.0, cost, lo, up, rlo, rup,
        start, rows.astype(np.int32), vals, np.zeros(n_col, np.int32),
    )  # fmt: skip
    t1 = time.perf_counter()
    lo_now, up_now, rlo_now, rup_now = lo.copy(), up.copy(), rlo.copy(), rup.copy()

    def fix_face(prev: tuple[np.ndarray, float]) -> None:
        """Fix what the last solve's duals say is at a bound (the optimal face), and bound the
        last objective at its optimum."""
        sol = h.getSolution()
        d, y = np.asarray(sol.col_dual), np.asarray(sol.row_dual)[:n_row]
        x = np.asarray(sol.col_value)
        fcol = np.nonzero(np.abs(d) > 1e-7)[0]
        at = np.where(d[fcol] > 0, lo_now[fcol], up_now[fcol])
        at = np.where(np.isfinite(at), at, x[fcol])
        h.changeColsBounds(fcol.size, fcol.astype(np.int32), at, at.copy())
        lo_now[fcol] = up_now[fcol] = at
        frow = np.nonzero(np.abs(y) > 1e-7)[0]
        atr = np.where(y[frow] > 0, rlo_now[frow], rup_now[frow])
        okr = np.isfinite(atr)
        frow, atr = frow[okr], atr[okr]
        h.changeRowsBounds(frow.size, frow.astype(np.int32), atr, atr.copy())
        rlo_now[frow] = rup_now[frow] = atr
        pc, pobj = prev
        nz = np.nonzero(pc)[0]
        h.addRow(-np.inf, pobj * (1 + 1e-9) + 1e-9, nz.size, nz.astype(np.int32), pc[nz])

    def solve_fixed(
        c: np.ndarray, prev: tuple[np.ndarray, float] | None
    ) -> tuple[np.ndarray, float]:
        if prev is not None:
            fix_face(prev)
        h.changeColsCost(n_col, np.arange(n_col, dtype=np.int32), c)
        h.run()
        return np.asarray(h.getSolution().col_value), h.getInfo().objective_function_value

    x, obj1 = solve_fixed(cost, None)
    # readiness: tier-weighted (all frontline: 4) partners below floor + W = 1 x US below target
    c2 = np.zeros(n_col)
    c2[o_gf:o_gt] = np.repeat(4.0 / raw["p_floor"][qf], H)
    c2[o_gt:o_z] = np.repeat(1.0 / raw["target"][pt], H)
    s2 = max(c2.max(initial=0.0), 1e-300)
    c2 /= s2
    x, obj2 = solve_fixed(c2, (cost, obj1))
    # fair shares: progressive filling, every group and month at its own level
    fix_face((c2, obj2))
    earliest = np.full(n_c, H)
    np.minimum.at(earliest, rc[r], arrival)
    free = np.nonzero(ft >= earliest[fc])[0]
    dead = np.nonzero(ft < earliest[fc])[0]
    inf_n = np.full(dead.size, np.inf)
    h.changeRowsBounds(dead.size, (r_fair + dead).astype(np.int32), -inf_n, inf_n)
    levels, probes = 0, 0
    first = 1.0 if dead.size else 0.0  # the stage's optimum: the largest missing fraction
    previous = np.full(G, np.inf)
    while free.size:
        levels += 1
        cz = np.zeros(n_col)
        cz[o_z + np.unique(flv[free])] = 1.0
        h.changeColsCost(n_col, np.arange(n_col, dtype=np.int32), cz)
        h.run()
        x = np.asarray(h.getSolution().col_value)
        yf = np.asarray(h.getSolution().row_dual)[r_fair + free]
        lev = np.maximum(x[o_z + flv[free]], 0.0)
        if levels == 1:
            first = max(first, float(lev.max(initial=0.0)))
        pin = (lev <= 1e-9) | (np.abs(yf) > 1e-9)
        acol = o_arr + fc[free] * H + ft[free]
        miss = 1.0 - x[acol] / raw["qty"][fc[free]]
        stuck = np.setdiff1d(flv[free], flv[free[pin]])
        pin |= np.isin(flv[free], stuck) & (miss >= lev - 1e-9)
        # a level that did not fall: which rows at it can do better, in one test
        stalled = (lev > 1e-9) & (lev >= previous[flv[free]] - 1e-5)
        cand = ~pin & stalled & (miss >= lev - 1e-5)
        if cand.any():
            probes += 1
            gz = o_z + np.unique(flv[free])
            at_level = np.zeros(G)
            at_level[flv[free]] = lev
            h.changeColsBounds(gz.size, gz.astype(np.int32), lo_now[gz], at_level[gz - o_z])
            sc = (o_s + free[cand]).astype(np.int32)
            h.changeColsBounds(sc.size, sc, np.zeros(sc.size), np.full(sc.size, 1e-5))
            cs = np.zeros(n_col)
            cs[sc] = -1.0
            h.changeColsCost(n_col, np.arange(n_col, dtype=np.int32), cs)
            h.run()
            xs = np.asarray(h.getSolution().col_value)
            h.changeColsBounds(sc.size, sc, np.zeros(sc.size), np.zeros(sc.size))
            h.changeColsBounds(gz.size, gz.astype(np.int32), lo_now[gz], up_now[gz])
            pin[cand] = xs[sc] < 0.5e-5
        previous[flv[free]] = lev
        acol = acol[pin]
        low = np.maximum(
            lo_now[acol], np.minimum(raw["qty"][fc[free[pin]]] * (1 - lev[pin]), x[acol])
        )
        h.changeColsBounds(acol.size, acol.astype(np.int32), low, up_now[acol])
        lo_now[acol] = low
        n_pin = int(pin.sum())
        h.changeRowsBounds(
            n_pin,
            (r_fair + free[pin]).astype(np.int32),
            np.full(n_pin, -np.inf),
            np.full(n_pin, np.inf),
        )
        free = free[~pin]
    # least drawn: units out of stock pools, plus sustainment proposed
    c4 = np.zeros(n_col)
    c4[:n_ship] = raw["is_stock"][rs[r]]
    c4[o_sus:o_inv] = 1.0 + raw["is_stock"][ss[sr]]
    s4 = max(c4.max(initial=0.0), 1e-300)
    c4 /= s4
    x, obj4 = solve_fixed(c4, None)
    stages = {
        "lateness": obj1,
        "readiness": obj2 * s2,
        "fair_shares": first if G else None,
        "least_drawn": obj4 * s4,
        "reference": None,
    }
    if n_make:
        # spare capacity: the lines with a bill of materials make all their components allow
        c5 = np.zeros(n_col)
        c5[o_make:] = -1.0
        x, obj5 = solve_fixed(c5, (c4, obj4))
        stages["spare_capacity"] = obj5 + float(rup[r_line:r_bs].sum())
    t2 = time.perf_counter()
    late = float(cost[o_late:o_lvl] @ x[o_late:o_lvl])
    return {
        "cols": n_col,
        "rows": n_row,
        "build": t1 - t0,
        "solve": t2 - t1,
        "results": 0.0,
        "objective": late,
        "stages": stages,
        "fair_levels": levels,
        "fair_probes": probes,
    }


def one(size: float, path: str, seed: int, bom: bool) -> None:
    raw = instance(size, seed, bom)
    out = run_project(raw) if path == "project" else run_floor(raw)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="5e3,4e4,1.2e5,8e5", help="target column counts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per path, interleaved; the fastest counts"
    )
    parser.add_argument(
        "--bom",
        action="store_true",
        help="the family with bills of materials (a fifth of the items, three components each)",
    )
    parser.add_argument("--one", nargs=2, metavar=("SIZE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(float(args.one[0]), args.one[1], args.seed, args.bom)
        return
    if args.bom:
        print(
            f"with bills of materials ({BOM_SHARE:.0%} of the items, three components each, "
            "two of them shared)",
            flush=True,
        )
    header = f"{'target':>8} {'path':>8} {'cols':>8} {'rows':>8} {'build s':>8} {'solve s':>8} {'total s':>8} {'peak MB':>8} {'objective':>14}"
    print(header, flush=True)
    for size in [float(s) for s in args.sizes.split(",")]:
        res: dict[str, dict] = {}
        for _ in range(args.repeat):
            for path in ("floor", "project"):
                proc = subprocess.run(
                    [sys.executable, __file__, "--one", str(size), path, "--seed", str(args.seed)]
                    + ["--bom"] * args.bom,
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                r["total"] = r["build"] + r["solve"] + r["results"]
                if path not in res or r["total"] < res[path]["total"]:
                    res[path] = r
        for path in ("floor", "project"):
            r = res[path]
            print(
                f"{size:>8.0e} {path:>8} {r['cols']:>8} {r['rows']:>8} {r['build']:>8.2f} {r['solve']:>8.2f} "
                f"{r['total']:>8.2f} {r['peak_mb']:>8.0f} {r['objective']:>14.6g}",
                flush=True,
            )
        f, p = res["floor"], res["project"]
        same = _close(f["objective"], p["objective"])
        differ = [n for n in p["stages"] if not _close(f["stages"].get(n), p["stages"][n])]
        print(
            f"{'':>8} ratio project/floor: total {p['total'] / f['total']:.3f}x, "
            f"build {p['build'] / max(f['build'], 1e-9):.2f}x, memory {p['peak_mb'] / f['peak_mb']:.2f}x; "
            f"same optimum: {same}, same stage optima: {not differ}; project stage 1 {p['stage1']:.2f} s, later stages "
            f"{p['later']:.2f} s ({p['later'] / max(p['stage1'], 1e-9):.2f}x); fair-share levels "
            f"(floor) {f['fair_levels']} (+{f['fair_probes']} tests)",
            flush=True,
        )
        print(
            f"{'':>8} stage optima (project | floor): "
            + ", ".join(
                f"{n} {_fmt(p['stages'][n])} | {_fmt(f['stages'].get(n))}"
                + (" DIFFER" if n in differ else "")
                for n in p["stages"]
                if p["stages"][n] is not None or f["stages"].get(n) is not None
            ),
            flush=True,
        )


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-6 * max(1.0, abs(a))


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.9g}"


if __name__ == "__main__":
    main()
