"""``arsenal allocate`` plans against a stored forecast only when it covers the plan window."""

from __future__ import annotations

from pathlib import Path

from arsenal.cli import main
from store.db import connect
from store.runs import latest_run

TINY = Path(__file__).resolve().parent / "fixtures" / "tiny"


def _depot_level_at_end(db: Path) -> float:
    con = connect(db, read_only=True)
    try:
        run = latest_run(con, "allocate")
        pools = con.sql(
            "SELECT month, inventory FROM plan_pools WHERE run_id = $r AND holder_id = 'US_DEPOT'"
            " AND item_id = '155MM' ORDER BY month",
            params={"r": run["run_id"]},
        ).pl()
    finally:
        con.close()
    return pools.get_column("inventory")[-1]


def test_a_forecast_shorter_than_the_plan_is_not_used(tmp_path: Path) -> None:
    """The depot uses 8,000 rounds in its one month of history, so a forecast covering the
    12-month plan lowers its end level; a 6-month forecast would leave months 7-12 at zero
    use, so the plan ignores it and plans without consumption, as with no forecast at all."""
    levels = {}
    for case, forecast_months in {"none": None, "short": 6, "full": 12}.items():
        db = tmp_path / f"{case}.duckdb"
        assert main(["load", str(TINY), "--db", str(db)]) == 0
        if forecast_months is not None:
            assert main(["forecast", "--db", str(db), "--horizon", str(forecast_months)]) == 0
        assert main(["allocate", "--db", str(db), "--horizon", "12"]) == 0
        levels[case] = _depot_level_at_end(db)
    assert levels["short"] == levels["none"]
    assert levels["full"] < levels["none"]
