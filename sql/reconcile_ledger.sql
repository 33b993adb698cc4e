-- The stock ledger between successive counts: for every holder and item counted two or more
-- times, each pair of successive counts (a period) and every recorded row that moved stock of
-- that item into or out of that holder in between.
-- one row per holder, item, period, ledger entry
--   entry: 'opening' and 'closing' (the two counts; every period has both), 'production'
--   (a month of output of a line whose stock_holder is the holder: production = capacity, the
--   step function of capacity.csv), 'delivery_in' (a delivery to a commitment of the holder as
--   partner), 'delivery_out' (a delivery from the holder, or from a line feeding it), and
--   'consumption' (a month of use by the holder).
-- A month's flows are dated at its last day: month m is in the period (from_date, to_date]
-- when from_date < last_day(m) <= to_date.
-- $assumption_prefix: rows whose source_id starts with it are assumption rows (assumed = true).
WITH periods AS (
    SELECT
        holder_id,
        item_id,
        lag(as_of) OVER counted AS from_date,
        as_of AS to_date,
        lag(units) OVER counted AS count_before,
        units AS count_after
    FROM stockpiles
    WINDOW counted AS (PARTITION BY holder_id, item_id ORDER BY as_of)
),

checked AS (
    SELECT *
    FROM periods
    WHERE from_date IS NOT NULL
),

period_months AS (
    SELECT
        c.holder_id,
        c.item_id,
        c.from_date,
        c.to_date,
        m.month::DATE AS month
    FROM checked AS c,
        generate_series(
            date_trunc('month', c.from_date),
            date_trunc('month', c.to_date),
            INTERVAL 1 MONTH
        ) AS m (month)
    WHERE last_day(m.month::DATE) > c.from_date
        AND last_day(m.month::DATE) <= c.to_date
),

lines AS (
    SELECT source_id, stock_holder AS holder_id
    FROM sources
    WHERE stock_holder IS NOT NULL
),

line_months AS (
    SELECT
        p.holder_id,
        p.item_id,
        p.from_date,
        p.to_date,
        p.month,
        l.source_id
    FROM period_months AS p
    JOIN lines AS l USING (holder_id)
),

production AS (
    SELECT
        lm.holder_id,
        lm.item_id,
        lm.from_date,
        lm.to_date,
        'production' AS entry,
        lm.source_id,
        NULL::VARCHAR AS commitment_id,
        lm.month,
        cap.units
    FROM line_months AS lm
    ASOF JOIN capacity AS cap
        ON cap.source_id = lm.source_id
        AND cap.item_id = lm.item_id
        AND lm.month >= cap.month
    WHERE cap.units > 0
),

delivered AS (
    SELECT
        d.commitment_id,
        d.source_id,
        d.month,
        d.units,
        c.partner_id,
        c.item_id,
        s.stock_holder
    FROM deliveries AS d
    JOIN commitments AS c USING (commitment_id)
    LEFT JOIN sources AS s ON s.source_id = d.source_id
),

delivery_in AS (
    SELECT
        p.holder_id,
        p.item_id,
        p.from_date,
        p.to_date,
        'delivery_in' AS entry,
        d.source_id,
        d.commitment_id,
        d.month,
        d.units
    FROM period_months AS p
    JOIN delivered AS d
        ON d.partner_id = p.holder_id
        AND d.item_id = p.item_id
        AND d.month = p.month
),

delivery_out AS (
    SELECT
        p.holder_id,
        p.item_id,
        p.from_date,
        p.to_date,
        'delivery_out' AS entry,
        d.source_id,
        d.commitment_id,
        d.month,
        d.units
    FROM period_months AS p
    JOIN delivered AS d
        ON (d.source_id = p.holder_id OR d.stock_holder = p.holder_id)
        AND d.item_id = p.item_id
        AND d.month = p.month
),

used AS (
    SELECT
        p.holder_id,
        p.item_id,
        p.from_date,
        p.to_date,
        'consumption' AS entry,
        NULL::VARCHAR AS source_id,
        NULL::VARCHAR AS commitment_id,
        u.month,
        u.units
    FROM period_months AS p
    JOIN consumption AS u
        ON u.holder_id = p.holder_id
        AND u.item_id = p.item_id
        AND u.month = p.month
),

counts AS (
    SELECT
        holder_id,
        item_id,
        from_date,
        to_date,
        'opening' AS entry,
        NULL::VARCHAR AS source_id,
        NULL::VARCHAR AS commitment_id,
        NULL::DATE AS month,
        count_before AS units
    FROM checked
    UNION ALL
    SELECT
        holder_id,
        item_id,
        from_date,
        to_date,
        'closing' AS entry,
        NULL::VARCHAR AS source_id,
        NULL::VARCHAR AS commitment_id,
        NULL::DATE AS month,
        count_after AS units
    FROM checked
),

ledger AS (
    SELECT * FROM counts
    UNION ALL
    SELECT * FROM production
    UNION ALL
    SELECT * FROM delivery_in
    UNION ALL
    SELECT * FROM delivery_out
    UNION ALL
    SELECT * FROM used
),

final AS (
    SELECT
        holder_id,
        item_id,
        from_date,
        to_date,
        entry,
        source_id,
        commitment_id,
        month,
        units,
        coalesce(starts_with(source_id, $assumption_prefix), false) AS assumed
    FROM ledger
)

SELECT * FROM final
ORDER BY
    holder_id,
    item_id,
    from_date,
    CASE entry
        WHEN 'opening' THEN 0
        WHEN 'production' THEN 1
        WHEN 'delivery_in' THEN 2
        WHEN 'delivery_out' THEN 3
        WHEN 'consumption' THEN 4
        ELSE 5
    END,
    source_id NULLS FIRST,
    commitment_id NULLS FIRST,
    month NULLS FIRST;
