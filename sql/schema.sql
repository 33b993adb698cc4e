-- Arsenal schema. Months are DATE values on the first day of the month.
-- Imported tables mirror the import format (store/contract.py) column for column.

CREATE TABLE IF NOT EXISTS items (
    item_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    unit_cost_usd DOUBLE NOT NULL
);

CREATE TABLE IF NOT EXISTS partners (
    partner_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    tier VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS sources (
    source_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    country VARCHAR NOT NULL,
    stock_holder VARCHAR
);

-- one row per source, item, first month of a capacity rate
CREATE TABLE IF NOT EXISTS capacity (
    source_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    month DATE NOT NULL,
    units DOUBLE NOT NULL
);

-- one row per holder, item, count date
CREATE TABLE IF NOT EXISTS stockpiles (
    holder_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    as_of DATE NOT NULL,
    units DOUBLE NOT NULL,
    floor_units DOUBLE NOT NULL,
    target_units DOUBLE,
    releasable_to VARCHAR
);

-- one row per holder, item, month
CREATE TABLE IF NOT EXISTS consumption (
    holder_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    month DATE NOT NULL,
    units DOUBLE NOT NULL
);

CREATE TABLE IF NOT EXISTS commitments (
    commitment_id VARCHAR PRIMARY KEY,
    partner_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    quantity DOUBLE NOT NULL,
    promised_month DATE NOT NULL,
    priority INTEGER NOT NULL,
    announced DATE NOT NULL,
    releasable_to VARCHAR
);

CREATE TABLE IF NOT EXISTS deliveries (
    commitment_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    month DATE NOT NULL,
    units DOUBLE NOT NULL
);

-- '*' in source_id, partner_id or item_id means any
CREATE TABLE IF NOT EXISTS eligibility (
    source_id VARCHAR NOT NULL,
    partner_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    allowed BOOLEAN NOT NULL,
    lead_time_months INTEGER NOT NULL,
    reason VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS absorption (
    partner_id VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    units_per_month DOUBLE NOT NULL
);

CREATE TABLE IF NOT EXISTS expansion_options (
    option_id VARCHAR PRIMARY KEY,
    source_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    added_units_per_month DOUBLE NOT NULL,
    lead_time_months INTEGER NOT NULL,
    cost_usd DOUBLE NOT NULL
);

-- source_id NULL: the row applies to every line of the item
CREATE TABLE IF NOT EXISTS bom (
    item_id VARCHAR NOT NULL,
    component_id VARCHAR NOT NULL,
    units_per_item DOUBLE NOT NULL,
    lead_time_months INTEGER NOT NULL,
    source_id VARCHAR
);

-- rules (the most specific matching rule wins: store/uncertainty.py); mode: triangular only,
-- high: every distribution but fixed
CREATE TABLE IF NOT EXISTS uncertainty (
    target VARCHAR NOT NULL,        -- a source, a holder or '*'
    item_id VARCHAR NOT NULL,       -- an item or '*'
    kind VARCHAR NOT NULL,
    distribution VARCHAR NOT NULL,
    low DOUBLE NOT NULL,
    mode DOUBLE,
    high DOUBLE
);

-- Bookkeeping ---------------------------------------------------------------

CREATE SEQUENCE IF NOT EXISTS load_id_seq START 1;

-- one row per successful load
CREATE TABLE IF NOT EXISTS loads (
    load_id BIGINT PRIMARY KEY DEFAULT nextval('load_id_seq'),
    loaded_at TIMESTAMP NOT NULL,
    path VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    row_counts JSON NOT NULL,
    loaded_by VARCHAR,              -- who ran the load (--by, default the OS user)
    tables_kept BOOLEAN NOT NULL DEFAULT false  -- its rows are in the <table>_history tables
);
-- files made before the load history: the same columns, added
ALTER TABLE loads ADD COLUMN IF NOT EXISTS loaded_by VARCHAR;
ALTER TABLE loads ADD COLUMN IF NOT EXISTS tables_kept BOOLEAN DEFAULT false;

-- one row per run of a stage or of the pipeline; results carry its run_id
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,          -- forecast | allocate | project | pipeline
    scenario VARCHAR NOT NULL,      -- 'baseline' or a scenario name
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    start_month DATE NOT NULL,
    horizon INTEGER NOT NULL,
    status VARCHAR NOT NULL,        -- running | ok | failed | solver status
    content_hash VARCHAR,           -- data the run read
    summary JSON                    -- stage summaries (e.g. weighted late unit-months)
);

-- Results: forecast ------------------------------------------------------------

-- one row per run, holder, item: the chosen demand model and its backtest
CREATE TABLE IF NOT EXISTS demand_models (
    run_id VARCHAR NOT NULL,
    holder_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    mase DOUBLE,
    coverage_80 DOUBLE,
    data_hash VARCHAR,              -- hash of the history the model was fitted on
    params JSON,                    -- fitted parameters (warm start for the next night)
    notes VARCHAR                   -- failed or skipped candidates and why
);

-- one row per run, holder, item, forecast month
CREATE TABLE IF NOT EXISTS demand_forecast (
    run_id VARCHAR NOT NULL,
    holder_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    month DATE NOT NULL,
    mean DOUBLE NOT NULL,
    p10 DOUBLE NOT NULL,
    p50 DOUBLE NOT NULL,
    p90 DOUBLE NOT NULL
);

-- Results: allocation ----------------------------------------------------------

-- one row per run, commitment
CREATE TABLE IF NOT EXISTS plan_commitments (
    run_id VARCHAR NOT NULL,
    commitment_id VARCHAR NOT NULL,
    partner_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    backlog_units DOUBLE NOT NULL,
    planned_units DOUBLE NOT NULL,
    completion_month DATE,
    late_unit_months DOUBLE NOT NULL,
    reasons JSON NOT NULL,          -- list of plain-language strings
    due_month DATE,                 -- the promised month (the first plan month when past)
    on_time_units DOUBLE            -- units arrived by the due month
);
-- databases made before the decision metrics
ALTER TABLE plan_commitments ADD COLUMN IF NOT EXISTS due_month DATE;
ALTER TABLE plan_commitments ADD COLUMN IF NOT EXISTS on_time_units DOUBLE;

-- one row per run, source, commitment (or, for sustainment, partner and item), shipping month
CREATE TABLE IF NOT EXISTS plan_shipments (
    run_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    commitment_id VARCHAR,          -- null for a sustainment proposal
    item_id VARCHAR NOT NULL,
    partner_id VARCHAR NOT NULL,
    month DATE NOT NULL,
    arrival_month DATE NOT NULL,
    units DOUBLE NOT NULL,
    purpose VARCHAR NOT NULL DEFAULT 'promise'  -- promise | sustainment
);
-- databases made before sustainment proposals
ALTER TABLE plan_shipments ADD COLUMN IF NOT EXISTS purpose VARCHAR DEFAULT 'promise';
ALTER TABLE plan_shipments ALTER COLUMN commitment_id DROP NOT NULL;

-- one row per run, source, item, month: weighted late unit-months saved per extra unit
CREATE TABLE IF NOT EXISTS capacity_value (
    run_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    month DATE NOT NULL,
    value DOUBLE NOT NULL
);

-- one row per run, expansion option considered
CREATE TABLE IF NOT EXISTS plan_investments (
    run_id VARCHAR NOT NULL,
    option_id VARCHAR NOT NULL,
    chosen BOOLEAN NOT NULL,
    cost_usd DOUBLE NOT NULL
);

-- one row per run, pool (holder, item), month: the plan's pool level
CREATE TABLE IF NOT EXISTS plan_pools (
    run_id VARCHAR NOT NULL,
    holder_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    month DATE NOT NULL,
    inventory DOUBLE NOT NULL,
    floor_breach DOUBLE NOT NULL
);

-- one row per run, pool (a stock source's or a partner's stock), month: the plan's readiness
CREATE TABLE IF NOT EXISTS plan_readiness (
    run_id VARCHAR NOT NULL,
    holder_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    holder_kind VARCHAR,            -- partner, us_stock, allied_stock
    month DATE NOT NULL,
    level DOUBLE NOT NULL,          -- end of month; a partner stock never below 0
    floor_units DOUBLE NOT NULL,
    target_units DOUBLE,
    below_floor_units DOUBLE NOT NULL,
    below_target_units DOUBLE,
    unmet_units DOUBLE NOT NULL     -- partner consumption not covered so far (still owed)
);

-- one row per run, production line, month: output planned against capacity
CREATE TABLE IF NOT EXISTS plan_production (
    run_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    month DATE NOT NULL,
    units DOUBLE NOT NULL,          -- made (a line without a bill of materials makes its capacity)
    capacity DOUBLE NOT NULL        -- with any expansion bought
);

-- Results: stock projection ------------------------------------------------------

-- one row per run, holder, item, month
CREATE TABLE IF NOT EXISTS stock_projection (
    run_id VARCHAR NOT NULL,
    holder_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    month DATE NOT NULL,
    p10 DOUBLE NOT NULL,
    p50 DOUBLE NOT NULL,
    p90 DOUBLE NOT NULL
);

-- one row per run, holder, item
CREATE TABLE IF NOT EXISTS stock_outlook (
    run_id VARCHAR NOT NULL,
    holder_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    floor_units DOUBLE NOT NULL,
    target_units DOUBLE,
    floor_breach_p10 DATE,
    floor_breach_p50 DATE,
    floor_breach_p90 DATE,
    target_reached_p10 DATE,
    target_reached_p50 DATE,
    target_reached_p90 DATE,
    breach_probability_3 DOUBLE NOT NULL,
    breach_probability_6 DOUBLE NOT NULL,
    breach_probability_12 DOUBLE NOT NULL
);

-- Staging views ------------------------------------------------------------------
-- The facts every query builds on, written once (dbt-style staging); the Python side of the
-- same facts is store/facts.py, and tests/store/test_facts.py checks that both agree.

-- The backlog of each commitment: quantity minus deliveries so far (never below 0), and the
-- weight of its late unit-months, 2^(5 - priority).
-- one row per commitment
CREATE OR REPLACE VIEW backlog AS
WITH delivered AS (
    SELECT commitment_id, sum(units) AS delivered_units
    FROM deliveries
    GROUP BY commitment_id
),

final AS (
    SELECT
        c.commitment_id,
        c.partner_id,
        c.item_id,
        c.quantity,
        coalesce(d.delivered_units, 0) AS delivered_units,
        greatest(c.quantity - coalesce(d.delivered_units, 0), 0) AS backlog_units,
        c.promised_month,
        c.priority,
        pow(2, 5 - c.priority) AS weight,
        c.announced,
        c.releasable_to
    FROM commitments AS c
    LEFT JOIN delivered AS d USING (commitment_id)
)

SELECT * FROM final;

-- Each holder's latest stock count (the stock on hand now, whatever the plan's start).
-- one row per holder, item
CREATE OR REPLACE VIEW latest_stocks AS
SELECT *
FROM stockpiles
QUALIFY row_number() OVER (PARTITION BY holder_id, item_id ORDER BY as_of DESC) = 1;

-- arsenal simulate: per promise, how likely it is kept over sampled futures of supply
CREATE TABLE IF NOT EXISTS simulation_commitments (
    run_id VARCHAR NOT NULL,
    commitment_id VARCHAR NOT NULL,
    partner_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    p_on_time DOUBLE NOT NULL,
    p_on_time_se DOUBLE NOT NULL,
    completion_p10 DATE,
    completion_p50 DATE,
    completion_p90 DATE,
    expected_late_unit_months DOUBLE NOT NULL
);

-- arsenal simulate: per watched pool, breach and rebuild months over the sampled futures
CREATE TABLE IF NOT EXISTS simulation_pools (
    run_id VARCHAR NOT NULL,
    holder_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    floor_units DOUBLE NOT NULL,
    target_units DOUBLE,
    floor_breach_p10 DATE,
    floor_breach_p50 DATE,
    floor_breach_p90 DATE,
    target_reached_p10 DATE,
    target_reached_p50 DATE,
    target_reached_p90 DATE,
    breach_probability_3 DOUBLE NOT NULL,
    breach_probability_6 DOUBLE NOT NULL,
    breach_probability_12 DOUBLE NOT NULL
);

-- arsenal simulate: per uncertain line and kind, its criticality (the tornado chart)
CREATE TABLE IF NOT EXISTS simulation_lines (
    run_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    criticality DOUBLE,
    lateness_saved DOUBLE
);
