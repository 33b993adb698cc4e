"""Benchmark: the dashboard on the sample data, driven by a real (headless Chromium) browser.

The app runs as ``arsenal serve`` in its own process on a free port, on a fresh database
(the sample data loaded and the baseline pipeline run). Measured:

1. page load: open each page's address (navigation start to its chart or figures drawn and
   no callback pending; every script parsed anew), N times per page; then in-app navigation:
   click the page's link in the bar from the page before it, as a planner moves between
   pages once logged in (the scripts stay loaded), N times per page; the promise detail
   (reasons and pegging of a late promise) and its remedies;
2. what-if round trip: click "Run" on the What-if page until the deltas of that run are shown,
   N times (each run under a new name, so every round trip waits for its own result);
3. concurrency: S sessions, each logged in on its own, in threads posting what-ifs (each its
   own name and capacity factor) to the callback endpoint, R each: latency p95, errors, and
   cross-talk (a reply naming another session's scenario or with figures that differ from the
   same what-if run alone).

4. mixed load: M sessions at once, each a planner at work: open a page (GET it, then post
   the callbacks the browser posted when it drew that page, recorded in step 1, one after
   another as a page with one connection would), think, run a what-if, think, R times.
   Page-view and what-if p95, errors and cross-talk. Think times are drawn from
   ``--think`` seconds +-50% (seeded); ``--think 0`` hammers the server.

Targets: issue 6, page load under 1 s, what-if round trip p95 under 1.5 s, no errors or
cross-talk under 10 concurrent sessions; issue 16, 20 concurrent sessions: what-if p95 under
2 s, page p95 under 1 s, 0 errors, 0 cross-talk on 2 cores.

    .venv/bin/python bench/dashboard.py
    .venv/bin/python bench/dashboard.py --runs 20 --sessions 10 --per-session 5 --mixed 20
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "dashboard"))

from dashboard_helpers import (  # noqa: E402
    CHROMIUM,
    HttpSession,
    cell,
    click_grid_row,
    grid_row_ids,
    run_result,
    whatif_body,
)

from reports.pdf import CHROMIUM_FLAGS  # noqa: E402

PY = sys.executable
PASSWORD = "bench-password-1"
PAGES = [
    ("Overview", "/", "#overview-late-count"),
    ("Worklist", "/worklist", "#worklist-exceptions-table"),
    ("Stocks", "/stocks", "#stocks-fan-graph .main-svg"),
    ("Backlog", "/backlog", "#backlog-timeline-graph .main-svg"),
    ("Allocation", "/allocation", "#allocation-sankey-graph .main-svg"),
    ("Capacity", "/capacity", "#capacity-ranking-graph .main-svg"),
    ("What-if", "/what-if", "#whatif-run-button"),
]
NAV = {
    "/": "overview",
    "/worklist": "worklist",
    "/stocks": "stocks",
    "/backlog": "backlog",
    "/allocation": "allocation",
    "/capacity": "capacity",
    "/what-if": "whatif",
}
"""Each page's link in the navigation bar (``#nav-MODULE``)."""
IDLE = (
    "() => !document.querySelector('[data-dash-is-loading=\"true\"]')"
    " && !document.querySelector('._dash-loading-callback')"
)


def _arsenal(*args: str, stdin: str | None = None) -> None:
    done = subprocess.run(
        [PY, "-m", "arsenal.cli", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"arsenal {args[0]} failed with exit {done.returncode}")


def _stats(label: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = _p95(ms)
    return (
        f"{label:<28} n={len(ms):<3} median {statistics.median(ms):7.0f} ms   "
        f"p95 {p95:7.0f} ms   max {ms[-1]:7.0f} ms"
    )


def _serve(db: Path, users: Path, scenarios: Path, processes: int) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen(
        [PY, "-m", "arsenal.cli", "serve", "--db", str(db), "--users", str(users)]
        + ["--port", "0", "--scenarios", str(scenarios), "--processes", str(processes)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = server.stdout.readline()
    if "http://" not in line:
        server.terminate()
        raise SystemExit(f"arsenal serve did not start: {line!r}")
    return server, line.split("http://", 1)[1].split("/", 1)[0]


def _mixed_load(
    args: argparse.Namespace,
    base: str,
    views: dict[str, list[tuple[str, str]]],
    url: str,
    body: str,
    expected: dict[float, Any],
) -> dict[str, Any]:
    """Step 4: ``args.mixed`` planners at once, each viewing pages and running what-ifs with
    think times between; prints and returns the figures."""
    factors = sorted(expected)
    page_times: list[float] = []
    whatif_times: list[float] = []
    errors: list[str] = []
    crosstalk: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(args.mixed)

    def planner(s: int) -> None:
        rng = random.Random(s)
        client = HttpSession(base, "planner", PASSWORD)
        paths = sorted(views)
        start.wait()
        time.sleep(rng.uniform(0, args.think))  # sessions do not start in lockstep
        for r in range(args.rounds):
            path = paths[(s + r) % len(paths)]
            t = time.perf_counter()
            try:
                status, _ = client.get(path)
                if status != 200:
                    raise RuntimeError(f"GET {path}: HTTP {status}")
                for post_url, post_body in views[path]:
                    client.post_json(post_url, post_body)
            except Exception as exc:
                with lock:
                    errors.append(f"planner {s} page {path}: {type(exc).__name__}: {exc}")
            else:
                with lock:
                    page_times.append(time.perf_counter() - t)
            time.sleep(args.think * rng.uniform(0.5, 1.5))
            name, factor = f"mixed-{s}-{r}", factors[(s + r) % len(factors)]
            t = time.perf_counter()
            try:
                result = run_result(client.post_json(url, whatif_body(body, name, factor)))
            except Exception as exc:
                with lock:
                    errors.append(f"{name}: {type(exc).__name__}: {exc}")
                continue
            with lock:
                whatif_times.append(time.perf_counter() - t)
                if result is None:
                    errors.append(f"{name}: no result in the reply")
                elif result["name"] != name or result["measures"] != expected[factor]:
                    crosstalk.append(name)
            time.sleep(args.think * rng.uniform(0.5, 1.5))

    print(
        f"\nMixed load: {args.mixed} planners at once, {args.rounds} x (page view, think, what-if,"
        f" think), think {args.think:g} s +-50%:"
    )
    t = time.perf_counter()
    with ThreadPoolExecutor(args.mixed) as pool:
        list(pool.map(planner, range(args.mixed)))
    wall = time.perf_counter() - t
    for label, times in (("page view", page_times), ("what-if reply", whatif_times)):
        if times:
            print("  " + _stats(label, times))
    print(f"  wall {wall:.1f} s   errors: {len(errors)}   cross-talk: {len(crosstalk)}")
    for line in (errors + crosstalk)[:10]:
        print("    " + line)
    return {
        "sessions": args.mixed,
        "page_p95_ms": round(_p95(page_times) * 1000) if page_times else None,
        "whatif_p95_ms": round(_p95(whatif_times) * 1000) if whatif_times else None,
        "errors": len(errors),
        "crosstalk": len(crosstalk),
    }


def _p95(seconds: list[float]) -> float:
    s = sorted(seconds)
    return s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="loads per page and what-if runs")
    parser.add_argument("--sessions", type=int, default=10, help="concurrent sessions")
    parser.add_argument("--per-session", type=int, default=5, help="what-ifs per session")
    parser.add_argument("--mixed", type=int, default=20, help="sessions of the mixed load")
    parser.add_argument("--rounds", type=int, default=4, help="page + what-if rounds each")
    parser.add_argument("--think", type=float, default=2.0, help="mean think time, seconds")
    parser.add_argument("--processes", type=int, default=2, help="arsenal serve --processes")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} missing: apt-get install chromium chromium-driver")

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="arsenal-bench-dash-") as tmp:
        work = Path(tmp)
        db, users, scenarios = work / "bench.duckdb", work / "users.toml", work / "scenarios"
        scenarios.mkdir()
        t0 = time.perf_counter()
        _arsenal("load", str(ROOT / "data" / "sample"), "--db", str(db))
        _arsenal("run", "--db", str(db))
        _arsenal(
            "users", "add", "planner", "--role", "planner", "--users", str(users),
            "--password-stdin", stdin=PASSWORD + "\n",
        )  # fmt: skip
        print(f"sample data loaded and baseline run in {time.perf_counter() - t0:.1f} s")
        server, host = _serve(db, users, scenarios, args.processes)
        views: dict[str, list[tuple[str, str]]] = {}
        base = f"http://{host}"
        print(f"dashboard at {base} (arsenal serve, pid {server.pid})")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(30_000)
                page.goto(base + "/login")
                page.fill("#login-name", "planner")
                page.fill("#login-password", PASSWORD)
                page.click("#login-submit")
                page.wait_for_selector("#app-user-name")

                print(f"\nPage load (navigation to drawn, {args.runs} loads each):")
                for _ in range(2):  # warm the server's first-request setup and caches
                    for _, path, ready in PAGES:
                        page.goto(base + path)
                        page.wait_for_selector(ready, state="visible")
                every = []
                posted: list[tuple[str, str]] = []
                page.on(
                    "request",
                    lambda r: (
                        posted.append((r.url, r.post_data or ""))
                        if r.method == "POST" and "_dash-update-component" in r.url
                        else None
                    ),
                )
                for name, path, ready in PAGES:
                    times = []
                    for _ in range(args.runs):
                        posted.clear()
                        t = time.perf_counter()
                        page.goto(base + path)
                        page.wait_for_selector(ready, state="visible")
                        page.wait_for_function(IDLE)
                        times.append(time.perf_counter() - t)
                    views[path] = list(posted)
                    every += times
                    print("  " + _stats(name, times))
                print("  " + _stats("all pages", every))

                print(
                    f"\nIn-app navigation (click the page's link in the bar until drawn, as a "
                    f"planner moves between pages after logging in; {args.runs} each):"
                )
                every = []
                for i, (name, path, ready) in enumerate(PAGES):
                    times = []
                    before = PAGES[i - 1]
                    for _ in range(args.runs):
                        page.click(f"#nav-{NAV[before[1]]}")
                        page.wait_for_selector(before[2], state="visible")
                        page.wait_for_function(IDLE)
                        t = time.perf_counter()
                        page.click(f"#nav-{NAV[path]}")
                        page.wait_for_selector(ready, state="visible")
                        page.wait_for_function(IDLE)
                        times.append(time.perf_counter() - t)
                    every += times
                    print("  " + _stats(name, times))
                print("  " + _stats("all pages", every))

                print(
                    f"\nPromise detail: reasons and pegging (click a late promise, {args.runs} clicks):"
                )
                page.goto(base + "/backlog")
                page.wait_for_selector("#backlog-commitments-table .ag-body [role=row].late")
                page.wait_for_function(IDLE)
                late = grid_row_ids(page, "backlog-commitments-table", late=True)
                times, remedies = [], []
                for k in range(args.runs):
                    cid = late[k % len(late)]
                    t = time.perf_counter()
                    click_grid_row(page, "backlog-commitments-table", cid)
                    page.wait_for_function(
                        "c => document.querySelector('#backlog-reasons-title')"
                        "?.textContent.startsWith(c + ':')",
                        arg=cid,
                    )
                    page.wait_for_selector("#backlog-pegging")
                    page.wait_for_function(IDLE)
                    times.append(time.perf_counter() - t)
                    if k < 3:  # remedies re-solve several what-ifs: a few are enough
                        t = time.perf_counter()
                        page.click("[id*='backlog-remedies-button']")
                        page.wait_for_selector(
                            "#backlog-remedies-table, #backlog-remedies .note", timeout=120_000
                        )
                        page.wait_for_function(IDLE)
                        remedies.append(time.perf_counter() - t)
                print("  " + _stats("promise detail", times))
                print("  " + _stats("remedies (each re-solved)", remedies))

                print(f"\nWhat-if round trip (click Run until its deltas show, {args.runs} runs):")
                page.goto(base + "/what-if")
                page.wait_for_selector("#whatif-run-button")
                for selector, value in (
                    (cell("capacity", "source"), "BOEING_HARPOON"),
                    (cell("capacity", "item"), "HARPOON"),
                ):
                    page.click(selector)
                    page.get_by_role("option", name=value, exact=True).click()
                page.fill(cell("capacity", "multiply"), "2")
                page.fill(cell("capacity", "from"), "2026-11")
                sent: list[tuple[str, str]] = []
                page.on(
                    "request",
                    lambda r: (
                        sent.append((r.url, r.post_data))
                        if "whatif-run-button" in (r.post_data or "")
                        else None
                    ),
                )
                times, computed = [], []
                for i in range(args.runs + 1):
                    page.fill("#whatif-name", f"bench-{i}")
                    page.keyboard.press("Tab")
                    page.wait_for_function(IDLE)
                    t = time.perf_counter()
                    page.click("#whatif-run-button")
                    page.wait_for_function(
                        "t => document.querySelector('#whatif-result-title')?.textContent === t",
                        arg=f"bench-{i} against the baseline",
                    )
                    if i:  # the first one warms up
                        times.append(time.perf_counter() - t)
                        note = page.text_content("#whatif-results").split("computed in ", 1)[1]
                        computed.append(float(note.split(" s", 1)[0]))
                print("  " + _stats("round trip", times))
                print("  " + _stats("of which server compute", computed))
                browser.close()

            url, body = sent[-1]
            n = args.sessions * args.per_session
            factors = [1.0 + 0.25 * (k % 8) for k in range(n)]
            alone = HttpSession(base, "planner", PASSWORD)
            expected = {}
            for f in sorted(set(factors)):
                reply = run_result(alone.post_json(url, whatif_body(body, "alone", f)))
                expected[f] = reply["measures"]

            latencies: list[float] = []
            errors: list[str] = []
            crosstalk: list[str] = []
            lock = threading.Lock()
            start = threading.Barrier(args.sessions)

            def session(s: int) -> None:
                client = HttpSession(base, "planner", PASSWORD)
                start.wait()
                for r in range(args.per_session):
                    k = s * args.per_session + r
                    name = f"session-{s}-run-{r}"
                    t = time.perf_counter()
                    try:
                        result = run_result(
                            client.post_json(url, whatif_body(body, name, factors[k]))
                        )
                    except Exception as exc:
                        with lock:
                            errors.append(f"{name}: {type(exc).__name__}: {exc}")
                        continue
                    elapsed = time.perf_counter() - t
                    with lock:
                        latencies.append(elapsed)
                        if result is None:
                            errors.append(f"{name}: no result in the reply")
                        elif result["name"] != name or result["measures"] != expected[factors[k]]:
                            crosstalk.append(name)

            print(
                f"\nConcurrency: {args.sessions} sessions x {args.per_session} what-ifs, "
                "threads posting to /_dash-update-component:"
            )
            t = time.perf_counter()
            with ThreadPoolExecutor(args.sessions) as pool:
                list(pool.map(session, range(args.sessions)))
            wall = time.perf_counter() - t
            if latencies:
                print("  " + _stats("what-if reply", latencies))
            print(f"  wall {wall:.1f} s, {len(latencies) / wall:.1f} what-ifs/s")
            print(f"  errors: {len(errors)}   cross-talk: {len(crosstalk)}")
            for line in (errors + crosstalk)[:10]:
                print("    " + line)
            mixed = _mixed_load(args, base, views, url, body, expected)
            print(
                json.dumps(
                    {"errors": len(errors), "crosstalk": len(crosstalk), "mixed": mixed},
                )
            )
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
