"""Monte Carlo on Dask against closed forms, and the same results whatever runs it.

One data set holds two independent cases:

- line RAMP starts making item A (100 a month) in plan month 3; its start slips by a uniform
  whole number of months 0..11. Promise PA (100 A) is due in month 3 + K, so it is on time iff
  the slip is at most K: P = (K + 1) / 12, and it completes in month 3 + slip.
- line OUT makes item B, 100 a month from month 1, but each month it is out with probability
  0.3. Promise PB (400 B) is due in month 6: on time iff at least 4 of the first 6 months run,
  a binomial tail.
"""

from __future__ import annotations

import math
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from optimize_helpers import START, base_tables, commitment, make_dataset, month

from forecast.projection import event_month_quantiles
from optimize.model import build_model
from optimize.sets import build_model_data
from pipeline.simulation import run_simulation

H = 24
K = 4
P_OUT = 0.3
SAMPLES = 600

RULES = pl.DataFrame(
    {
        "target": ["RAMP", "OUT"],
        "item_id": ["A", "B"],
        "kind": ["ramp_delay_months", "outage_probability"],
        "distribution": ["uniform_int", "fixed"],
        "low": [0.0, P_OUT],
        "mode": [None, None],
        "high": [11.0, None],
    },
    schema_overrides={"mode": pl.Float64, "high": pl.Float64},
)


def analytic_model():  # noqa: ANN201
    t = base_tables(items=("A", "B"), partners=("UKR",))
    t["sources"] = [
        {"source_id": "RAMP", "name": "ramp", "kind": "us_production", "country": "USA"},
        {"source_id": "OUT", "name": "out", "kind": "us_production", "country": "USA"},
    ]
    t["capacity"] = [
        {"source_id": "RAMP", "item_id": "A", "month": month(1), "units": 0.0},
        {"source_id": "RAMP", "item_id": "A", "month": month(3), "units": 100.0},
        {"source_id": "OUT", "item_id": "B", "month": month(1), "units": 100.0},
    ]
    t["commitments"] = [
        commitment("PA", "UKR", "A", 100, 3 + K),
        commitment("PB", "UKR", "B", 400, 6),
    ]
    return build_model(build_model_data(make_dataset(**t), None, START, H))


def _row(result, cid: str) -> dict:  # noqa: ANN001
    return result.commitments.filter(pl.col("commitment_id") == cid).row(0, named=True)


@pytest.fixture(scope="module")
def local_two():  # noqa: ANN201
    return run_simulation(
        analytic_model(), RULES, samples=SAMPLES, seed=11, workers=2, criticality_samples=0
    )


def test_ramp_slip_gives_k_plus_one_in_twelve(local_two) -> None:  # noqa: ANN001
    row = _row(local_two, "PA")
    expected = (K + 1) / 12
    se = math.sqrt(expected * (1 - expected) / SAMPLES)
    assert abs(row["p_on_time"] - expected) < 3 * se
    assert row["p_on_time_se"] == pytest.approx(
        math.sqrt(row["p_on_time"] * (1 - row["p_on_time"]) / SAMPLES)
    )
    # completion quantiles are the shifted ramp's: month 3 + slip, from the drawn slips
    slips = np.array([r.values[0] for r in local_two.records])
    assert set(np.unique(slips)) <= set(range(12))
    shifted = event_month_quantiles(2 + slips)
    got = [row["completion_p10"], row["completion_p50"], row["completion_p90"]]
    assert got == [month(q + 1) for q in shifted]
    # and the theoretical quantiles of 3 + U{0..11}: slips 1, 5 and 10 (within sampling noise)
    assert all(abs((g.year - 2026) * 12 + g.month - (4, 8, 13)[i]) <= 1 for i, g in enumerate(got))


def test_outage_gives_the_binomial_tail(local_two) -> None:  # noqa: ANN001
    row = _row(local_two, "PB")
    q = 1 - P_OUT
    expected = sum(math.comb(6, k) * q**k * (1 - q) ** (6 - k) for k in range(4, 7))
    se = math.sqrt(expected * (1 - expected) / SAMPLES)
    assert abs(row["p_on_time"] - expected) < 3 * se
    # the drawn outage months (over the horizon) average H * p
    outs = np.array([r.values[1] for r in local_two.records])
    assert abs(outs.mean() - H * P_OUT) < 3 * math.sqrt(H * P_OUT * q / SAMPLES)


def _same(a, b) -> bool:  # noqa: ANN001
    return all(
        x.index == y.index
        and x.objective == y.objective
        and np.array_equal(x.completion, y.completion)
        and np.array_equal(x.late, y.late)
        and np.array_equal(x.values, y.values)
        for x, y in zip(a.records, b.records, strict=True)
    ) and a.commitments.equals(b.commitments)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_same_results_with_one_two_workers_and_a_real_cluster(local_two) -> None:  # noqa: ANN001
    model = analytic_model()
    one = run_simulation(model, RULES, samples=SAMPLES, seed=11, workers=1, criticality_samples=0)
    assert _same(one, local_two)
    dask = str(Path(sys.executable).parent / "dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        time.sleep(2)
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [dask, "worker", address, "--nthreads", "1", "--no-dashboard"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        cluster = run_simulation(
            model, RULES, samples=SAMPLES, seed=11, scheduler=address, criticality_samples=0
        )
        assert cluster.workers == 2
        assert _same(cluster, local_two)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            p.wait(timeout=30)


def test_tolerance_stops_at_the_same_sample_for_any_worker_count() -> None:
    model = analytic_model()
    runs = [
        run_simulation(
            model,
            RULES,
            samples=2000,
            seed=3,
            workers=w,
            tolerance=0.03,
            batch_size=25,
            criticality_samples=0,
        )
        for w in (1, 2)
    ]
    assert runs[0].samples == runs[1].samples < 2000
    assert _same(runs[0], runs[1])
    # stopped at the first whole batch where every promise's (k+1)/(n+2) error is below 0.03
    n = runs[0].samples
    assert n % 25 == 0
    for m in (n - 25, n):
        done = np.array([r.completion for r in runs[0].records[:m]])
        due = model.data.commitments.get_column("due").to_numpy()
        k = (done <= due).sum(axis=0)
        p = (k + 1) / (m + 2)
        worst = np.sqrt(p * (1 - p) / m).max()
        assert (worst < 0.03) == (m == n)


def test_replan_never_worse_than_the_fixed_plan_on_any_sample() -> None:
    """On the mixed data of the warm-start tests (stock with a floor, partner stocks,
    absorption, lead times): the published plan executed by the rule is one feasible answer
    to each future, so re-planning is never worse, and sometimes better."""
    from test_optimize_resolve import H as MIXED_H
    from test_optimize_resolve import demand, tables

    model = build_model(build_model_data(make_dataset(**tables()), demand(), START, MIXED_H))
    rules = pl.DataFrame(
        {
            "target": ["*", "PLANT", "*", "UKR"],
            "item_id": ["*", "SHELL", "*", "*"],
            "kind": [
                "capacity_factor",
                "ramp_delay_months",
                "lead_time_extra_months",
                "demand_factor",
            ],
            "distribution": ["triangular", "uniform_int", "uniform_int", "uniform"],
            "low": [0.4, 0.0, 0.0, 0.8],
            "mode": [0.9, None, None, None],
            "high": [1.2, 4.0, 2.0, 1.5],
        }
    )
    replan = run_simulation(
        model, rules, samples=80, seed=2, mode="replan", workers=2, criticality_samples=10
    )
    fixed = run_simulation(
        model, rules, samples=80, seed=2, mode="fixed", workers=2, criticality_samples=0
    )
    worse = [
        (r.index, r.objective, f.objective)
        for r, f in zip(replan.records, fixed.records, strict=True)
        if r.objective > f.objective * (1 + 1e-9) + 1e-6
    ]
    assert worse == []
    assert any(
        f.objective > r.objective + 1 for r, f in zip(replan.records, fixed.records, strict=True)
    )
    # criticality: PLANT's shell ramp slip drives lateness; holding it neutral saves some
    ramp = replan.lines.filter(
        (pl.col("source_id") == "PLANT")
        & (pl.col("item_id") == "SHELL")
        & (pl.col("kind") == "ramp_delay_months")
    )
    assert ramp.height == 1
    assert ramp.get_column("criticality").item() > 0.3
    assert ramp.get_column("lateness_saved").item() > 0
