"""Stock projection against hand-worked cases, the event-month quantiles, reproducibility."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from forecast.demand import forecast_demand
from forecast.projection import event_month_quantiles, first_event, project_stocks
from store.months import add_months

START = date(2026, 11, 1)
SOURCES = [
    {"source_id": "DEPOT", "name": "Depot", "kind": "us_stock", "country": "USA"},
    {
        "source_id": "PLANT",
        "name": "Plant",
        "kind": "us_production",
        "country": "USA",
        "stock_holder": "DEPOT",
    },
    {"source_id": "ALLY", "name": "Ally plant", "kind": "allied_production", "country": "DEU"},
]
PARTNERS = [{"partner_id": "UKR", "name": "Ukraine", "tier": "frontline"}]
DEPOT_STOCK = {
    "holder_id": "DEPOT",
    "item_id": "SHELL",
    "as_of": date(2026, 10, 1),
    "units": 20_000,
    "floor_units": 5_000,
    "target_units": 30_000,
}


def _outlook(result, holder: str, item: str = "SHELL") -> dict:
    return result.outlook.filter((pl.col("holder_id") == holder) & (pl.col("item_id") == item)).row(
        0, named=True
    )


def test_constant_consumption_breaches_in_month_8(make_dataset, monthly) -> None:
    """100,000 units, 10,000 used every month, floor 30,000: end of month k holds
    100,000 - 10,000k; month 7 ends at 30,000 (not below), month 8 at 20,000 (below)."""
    ds = make_dataset(
        sources=SOURCES,
        stockpiles=[
            {
                "holder_id": "DEPOT",
                "item_id": "SHELL",
                "as_of": date(2026, 10, 31),
                "units": 100_000,
                "floor_units": 30_000,
            }
        ],
        consumption=monthly("DEPOT", "SHELL", date(2024, 11, 1), [10_000] * 24),
    )
    demand = forecast_demand(ds, START, 36, workers=1)
    result = project_stocks(ds, demand, None, START, 36, paths=200, seed=1)
    o = _outlook(result, "DEPOT")
    month8 = add_months(START, 7)
    assert (o["floor_breach_p10"], o["floor_breach_p50"], o["floor_breach_p90"]) == (month8,) * 3
    assert (o["breach_probability_3"], o["breach_probability_6"], o["breach_probability_12"]) == (
        0.0,
        0.0,
        1.0,
    )
    path = result.projection.filter(pl.col("holder_id") == "DEPOT").get_column("p50").to_list()
    assert path[:10] == [90_000, 80_000, 70_000, 60_000, 50_000, 40_000, 30_000, 20_000, 10_000, 0]
    assert path[-1] == 0  # never below zero


def test_demand_multiplier_scales_the_simulated_consumption(make_dataset, monthly) -> None:
    """The month-8 case with a scenario doubling use from month 3 on: months 1-2 use 10,000
    (80,000 left), then 20,000 a month: 60,000, 40,000, 20,000, so month 5 is the first to end
    below the 30,000 floor. Months before the start and other items are left alone."""
    ds = make_dataset(
        sources=SOURCES,
        stockpiles=[
            {
                "holder_id": "DEPOT",
                "item_id": "SHELL",
                "as_of": date(2026, 10, 31),
                "units": 100_000,
                "floor_units": 30_000,
            }
        ],
        consumption=monthly("DEPOT", "SHELL", date(2024, 11, 1), [10_000] * 24),
    )
    demand = forecast_demand(ds, START, 36, workers=1)
    multiplier = pl.DataFrame(
        {
            "holder_id": ["DEPOT"] * 35 + ["DEPOT", "OTHER"],
            "item_id": ["SHELL"] * 35 + ["SHELL", "SHELL"],
            "month": [add_months(START, t) for t in range(2, 37)] + [date(2026, 1, 1), START],
            "multiplier": [2.0] * 35 + [5.0, 3.0],
        }
    )
    result = project_stocks(
        ds, demand, None, START, 36, paths=50, seed=1, demand_multiplier=multiplier
    )
    o = _outlook(result, "DEPOT")
    assert o["floor_breach_p50"] == add_months(START, 4)
    path = result.projection.filter(pl.col("holder_id") == "DEPOT").get_column("p50").to_list()
    assert path[:6] == [90_000, 80_000, 60_000, 40_000, 20_000, 0]


def test_bought_expansion_capacity_feeds_its_pool(make_dataset) -> None:
    """The depot holds 100 (floor 50, target 400); its plant makes nothing. The plan bought
    option BUY (+50 a month, lead time 2), not option SKIP (+1,000 a month): months 1-2 end at
    100, month 3 at 150, ..., month 8 at 400, the target, so the rebuild month is month 8."""
    ds = make_dataset(
        sources=SOURCES,
        stockpiles=[
            {
                "holder_id": "DEPOT",
                "item_id": "SHELL",
                "as_of": date(2026, 10, 31),
                "units": 100,
                "floor_units": 50,
                "target_units": 400,
            }
        ],
        expansion_options=[
            {
                "option_id": "BUY",
                "source_id": "PLANT",
                "item_id": "SHELL",
                "added_units_per_month": 50.0,
                "lead_time_months": 2,
                "cost_usd": 1.0,
            },
            {
                "option_id": "SKIP",
                "source_id": "PLANT",
                "item_id": "SHELL",
                "added_units_per_month": 1000.0,
                "lead_time_months": 0,
                "cost_usd": 1.0,
            },
        ],
    )
    investments = pl.DataFrame(
        {"option_id": ["BUY", "SKIP"], "chosen": [True, False], "cost_usd": [1.0, 1.0]}
    )
    demand = forecast_demand(ds, START, 12, workers=1)
    result = project_stocks(ds, demand, None, START, 12, paths=5, investments=investments)
    path = result.projection.filter(pl.col("holder_id") == "DEPOT").get_column("p50").to_list()
    assert path[:9] == [100, 100, 150, 200, 250, 300, 350, 400, 450]
    assert _outlook(result, "DEPOT")["target_reached_p50"] == add_months(START, 7)
    unplanned = project_stocks(ds, demand, None, START, 12, paths=5)
    assert (
        unplanned.projection.filter(pl.col("holder_id") == "DEPOT").get_column("p50").max() == 100
    )


def test_production_ramp_reaches_target_when_the_cumulative_sum_says(make_dataset) -> None:
    """The depot holds 1,500,000 with target 2,500,000: 1,000,000 short. Its plant (via
    stock_holder) makes 20,000/month from 2026-11 (months 1-3: 60,000), 40,000/month from
    2027-02 (months 4-7: 160,000; 220,000 so far), 60,000/month from 2027-06 (month 8 on).
    The missing 780,000 take 780,000 / 60,000 = 13 more months: 220,000 + 13 x 60,000 =
    1,000,000 exactly at the end of month 7 + 13 = 20, i.e. 2028-06. Month 19 ends 60,000
    short. The 2026-08 row (a rate before the start) is replaced by the 2026-11 one."""
    ds = make_dataset(
        sources=SOURCES,
        stockpiles=[
            {
                "holder_id": "DEPOT",
                "item_id": "SHELL",
                "as_of": date(2026, 9, 30),
                "units": 1_500_000,
                "floor_units": 100_000,
                "target_units": 2_500_000,
            }
        ],
        capacity=[
            {"source_id": "PLANT", "item_id": "SHELL", "month": date(2026, 8, 1), "units": 5_000},
            {"source_id": "PLANT", "item_id": "SHELL", "month": date(2026, 11, 1), "units": 20_000},
            {"source_id": "PLANT", "item_id": "SHELL", "month": date(2027, 2, 1), "units": 40_000},
            {"source_id": "PLANT", "item_id": "SHELL", "month": date(2027, 6, 1), "units": 60_000},
        ],
    )
    result = project_stocks(ds, forecast_demand(ds, START, 36, workers=1), None, START, 36, 50)
    o = _outlook(result, "DEPOT")
    assert o["target_reached_p10"] == o["target_reached_p90"] == date(2028, 6, 1)
    assert o["floor_breach_p50"] is None
    assert o["breach_probability_12"] == 0.0
    assert {r["holder_id"] for r in result.outlook.iter_rows(named=True)} == {"DEPOT"}


def test_shipments_leave_the_pool_and_arrive_at_the_partner(make_dataset) -> None:
    """Depot 1,000 (floor 600). Plant feeds it 100/month. The plan ships 500 from the plant
    in month 2 (it leaves the depot: 1,000 + 100 + 100 - 500 = 700, month 3: 800, ...) and 300
    from the depot in month 4 (800 + 100 - 300 = 600: at the floor, not below). UKR holds
    50 (floor 100) and receives the 500 in month 3 (lead time 1): below its floor in
    months 1 and 2, then 550. The allied plant has no stock holder: its own pool, from 0."""
    ds = make_dataset(
        sources=SOURCES,
        partners=PARTNERS,
        stockpiles=[
            {
                "holder_id": "DEPOT",
                "item_id": "SHELL",
                "as_of": date(2026, 10, 1),
                "units": 1000,
                "floor_units": 600,
            },
            {
                "holder_id": "UKR",
                "item_id": "SHELL",
                "as_of": date(2026, 10, 1),
                "units": 50,
                "floor_units": 100,
                "target_units": 500,
            },
        ],
        capacity=[
            {"source_id": "PLANT", "item_id": "SHELL", "month": date(2026, 1, 1), "units": 100},
            {"source_id": "ALLY", "item_id": "SHELL", "month": date(2027, 1, 1), "units": 10},
        ],
    )
    shipments = pl.DataFrame(
        {
            "source_id": ["PLANT", "DEPOT"],
            "commitment_id": ["C1", "C2"],
            "item_id": ["SHELL", "SHELL"],
            "partner_id": ["UKR", "UKR"],
            "month": [add_months(START, 1), add_months(START, 3)],
            "arrival_month": [add_months(START, 2), add_months(START, 40)],
            "units": [500.0, 300.0],
        }
    )
    demand = forecast_demand(ds, START, 6, workers=1)
    result = project_stocks(ds, demand, shipments, START, 6, paths=10)

    def path(holder: str) -> list[float]:
        return result.projection.filter(pl.col("holder_id") == holder).get_column("p50").to_list()

    assert path("DEPOT") == [1100, 700, 800, 600, 700, 800]
    assert path("UKR") == [50, 50, 550, 550, 550, 550]
    assert path("ALLY") == [0, 0, 10, 20, 30, 40]
    ukr = _outlook(result, "UKR")
    assert ukr["floor_breach_p10"] == ukr["floor_breach_p90"] == START
    assert ukr["target_reached_p50"] == add_months(START, 2)
    assert _outlook(result, "DEPOT")["floor_breach_p90"] is None


def test_event_month_quantiles_count_never_as_after_the_horizon() -> None:
    hit = np.array([[0, 1, 1], [1, 1, 1], [0, 0, 0], [0, 0, 1], [0, 0, 0]], dtype=bool)
    first = first_event(hit)
    assert first.tolist() == [1, 0, np.inf, 2, np.inf]
    # 10%: month 0 (1 of 5 by month 0); 50%: month 2 (3 of 5 by month 2); 90%: never
    assert event_month_quantiles(first) == [0, 2, None]


def test_projection_is_reproducible_with_a_seed(make_dataset, monthly) -> None:
    rng = np.random.default_rng(7)
    ds = make_dataset(
        sources=SOURCES,
        stockpiles=[DEPOT_STOCK],
        consumption=monthly(
            "DEPOT", "SHELL", date(2022, 11, 1), rng.normal(1_000, 300, 48).clip(0).tolist()
        ),
    )
    demand = forecast_demand(ds, START, 24, workers=1)
    a = project_stocks(ds, demand, None, START, 24, paths=300, seed=3)
    b = project_stocks(ds, (demand.models, demand.forecast), None, START, 24, paths=300, seed=3)
    c = project_stocks(ds, demand, None, START, 24, paths=300, seed=4)
    assert a.projection.equals(b.projection)
    assert a.outlook.equals(b.outlook)
    assert not a.projection.equals(c.projection)
    spread = a.projection.select((pl.col("p90") - pl.col("p10")).max()).item()
    assert spread > 0  # a noisy history gives uncertain stocks
    o = _outlook(a, "DEPOT")
    assert o["floor_breach_p50"] is None or (
        o["floor_breach_p10"] is not None and o["floor_breach_p10"] <= o["floor_breach_p50"]
    )


def test_a_pool_counted_only_after_the_start_is_projected_from_its_first_count(
    make_dataset,
) -> None:
    """DEPOT's only count is dated after the start: the plan and the projection both start it
    from that count (store.facts.starting_stocks), so it is never silently left out."""
    from optimize.sets import build_model_data

    ds = make_dataset(
        sources=SOURCES,
        stockpiles=[
            {
                "holder_id": "DEPOT",
                "item_id": "SHELL",
                "as_of": date(2026, 12, 15),
                "units": 5_000,
                "floor_units": 1_000,
            }
        ],
    )
    result = project_stocks(ds, (pl.DataFrame(), pl.DataFrame()), None, START, 6, paths=10)
    path = result.projection.filter(pl.col("holder_id") == "DEPOT").get_column("p50").to_list()
    assert path == [5_000.0] * 6
    assert _outlook(result, "DEPOT")["floor_units"] == 1_000
    pools = build_model_data(ds, None, START, 6).pools
    assert pools.select("holder_id", "start_units", "floor_units").rows() == [
        ("DEPOT", 5_000.0, 1_000.0)
    ]


def test_remembered_paths_are_the_paths_drawn_afresh_and_follow_the_history(
    make_dataset, monthly, monkeypatch
) -> None:
    import forecast.projection as projection

    rng = np.random.default_rng(11)
    history = rng.normal(1_000, 300, 48).clip(0).tolist()

    def dataset(units: list[float]):  # noqa: ANN202
        return make_dataset(
            sources=SOURCES,
            stockpiles=[DEPOT_STOCK],
            consumption=monthly("DEPOT", "SHELL", date(2022, 11, 1), units),
        )

    def forget() -> None:
        monkeypatch.setattr(projection, "_path_memo", projection.OrderedDict())
        monkeypatch.setattr(projection, "_path_memo_bytes", 0)

    ds = dataset(history)
    demand = forecast_demand(ds, START, 24, workers=1)
    forget()
    first = project_stocks(ds, demand, None, START, 24, paths=300, seed=3)
    assert len(projection._path_memo) == 1
    again = project_stocks(ds, demand, None, START, 24, paths=300, seed=3)
    forget()
    monkeypatch.setattr(projection, "PATH_MEMO_BYTES", 0)
    fresh = project_stocks(ds, demand, None, START, 24, paths=300, seed=3)
    assert not projection._path_memo  # nothing is kept at 0 bytes
    assert first.projection.equals(again.projection)
    assert first.outlook.equals(again.outlook)
    assert fresh.projection.equals(first.projection)
    assert fresh.outlook.equals(first.outlook)
    # the same model row over a different history (its last month doubled) draws other paths
    monkeypatch.setattr(projection, "PATH_MEMO_BYTES", 512 * 2**20)
    project_stocks(ds, demand, None, START, 24, paths=300, seed=3)
    changed = dataset(history[:-1] + [2 * history[-1] + 500])
    other = project_stocks(changed, demand, None, START, 24, paths=300, seed=3)
    assert len(projection._path_memo) == 2
    forget()
    other_fresh = project_stocks(changed, demand, None, START, 24, paths=300, seed=3)
    assert other.projection.equals(other_fresh.projection)
    assert not other.projection.equals(first.projection)
