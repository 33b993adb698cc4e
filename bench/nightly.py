"""Benchmark: the nightly run (baseline + every scenario + report + PDF) end to end.

For the sample data (with the shipped scenarios) and a large synthetic data set (the
generator of bench/load.py; baseline plus one generated scenario), each night runs as
``arsenal nightly`` in a fresh subprocess, twice: a cold night on a new database, then the
next night on the same data (the forecast reuses the stored models of unchanged series).
Prints wall time, the time per stage (from summary.json: forecast, plan, projection per run;
the rest is reading, writing and the report), and peak memory (largest process, ru_maxrss).

Target: the sample-data night under 60 s, report included; the report of the large night
(HTML, extracts, workbook and PDF: ``render_seconds`` in summary.json) under 10 s; the large
night without its report under 20 s on 2 cores (the forecast's series, the plans and the
projections run on the Dask engine, ``--workers``). The stage times are summed over runs that
run side by side, so they add up to more than the wall time.

    .venv/bin/python bench/nightly.py                    # sample + large (default size)
    .venv/bin/python bench/nightly.py --only sample
    .venv/bin/python bench/nightly.py --items 40 --holders 15 --months 60 --commitments 1000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PY = sys.executable


def _arsenal(*args: str) -> tuple[float, float]:
    """Run ``arsenal`` in a child; (seconds, peak MB of the largest child so far)."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [PY, "-m", "arsenal.cli", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"arsenal {args[0]} failed with exit {done.returncode}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak_mb


def _stages(folder: Path) -> dict[str, float]:
    summary = json.loads((folder / "summary.json").read_text())
    total: dict[str, float] = {"forecast": 0.0, "plan": 0.0, "project": 0.0}
    for run in summary["runs"]:
        for stage, seconds in run["timings"].items():
            total[stage] = total.get(stage, 0.0) + seconds
    total["runs"] = len(summary["runs"])
    total["render"] = summary.get("render_seconds", {})
    return total


def night(
    label: str, data: Path, scenarios: Path | None, work: Path, horizon: int, paths: int
) -> None:
    db = work / f"{label}.duckdb"
    out = work / f"{label}-reports"
    load_s, load_mb = _arsenal("load", str(data), "--db", str(db))
    print(f"\n== {label}: load {load_s:.1f} s (peak so far {load_mb:.0f} MB)")
    common = ["--db", str(db), "--out", str(out), "--horizon", str(horizon), "--paths", str(paths)]
    common += ["--scenarios", str(scenarios)] if scenarios else ["--scenarios", str(work / "none")]
    for day in ("2026-12-01", "2026-12-02"):
        seconds, peak = _arsenal("nightly", *common, "--date", day)
        st = _stages(out / day)
        rest = seconds - st["forecast"] - st["plan"] - st["project"]
        print(
            f"  night {day}: {seconds:6.1f} s wall | {int(st['runs'])} runs | forecast "
            f"{st['forecast']:.1f} s, plan {st['plan']:.1f} s, projection {st['project']:.1f} s, "
            f"start-up + read + write + report + PDF {rest:.1f} s | peak {peak:.0f} MB"
        )
        render = st["render"]
        rendered = sum(render.values()) - render.get("data_quality", 0)
        print(
            f"    everything but the report (HTML, extracts, workbook, PDF): "
            f"{seconds - rendered:.1f} s wall (target for the large night: under 20 s)"
        )
        print(
            f"    report rendering {sum(render.values()) - render.get('data_quality', 0):.1f} s "
            "(" + ", ".join(f"{k} {v:.1f} s" for k, v in render.items()) + "; html includes "
            f"data_quality) | load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
        )


def _large(work: Path, args: argparse.Namespace) -> tuple[Path, Path]:
    from bench.load import build

    data = work / "large-data"
    counts = build(
        data,
        items=args.items,
        holders=args.holders,
        months=args.months,
        commitments=args.commitments,
        seed=0,
    )
    print(f"large data set: {sum(counts.values()):,} rows {counts}")
    import polars as pl

    sources = pl.read_csv(data / "sources.csv")
    plant = sources.filter(pl.col("kind").str.ends_with("production")).item(0, "source_id")
    cap = pl.read_csv(data / "capacity.csv").filter(pl.col("source_id") == plant)
    item = cap.item(0, "item_id")
    folder = work / "large-scenarios"
    folder.mkdir()
    (folder / "cut.toml").write_text(
        f'name = "cut"\ndescription = "half the output of one plant"\n'
        f'[[capacity]]\nsource = "{plant}"\nitem = "{item}"\nfrom = "2020-01"\nmultiply = 0.5\n'
    )
    return data, folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("sample", "large"))
    parser.add_argument("--horizon", type=int, default=36)
    parser.add_argument("--paths", type=int, default=500)
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument("--holders", type=int, default=24)
    parser.add_argument("--months", type=int, default=72)
    parser.add_argument("--commitments", type=int, default=2000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="arsenal-bench-nightly-") as tmp:
        work = Path(tmp)
        if args.only in (None, "sample"):
            night(
                "sample",
                ROOT / "data" / "sample",
                ROOT / "scenarios",
                work,
                args.horizon,
                args.paths,
            )
        if args.only in (None, "large"):
            data, scenarios = _large(work, args)
            night("large", data, scenarios, work, args.horizon, args.paths)
    return 0


if __name__ == "__main__":
    sys.exit(main())
