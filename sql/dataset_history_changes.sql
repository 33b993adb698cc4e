-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit.
-- The rows that differ between loads $load_a and $load_b, every imported table.
-- one row per table and key whose row differs: before (in load a) and after (in load b)
-- as JSON objects, NULL where the load has no row of that key. A table without a key
-- is keyed by the whole row; repeated equal rows pair up one by one.
WITH loaded AS (
    SELECT 'items' AS table_name, load_id,
           json_object('item_id', item_id)::VARCHAR AS key,
           json_object('item_id', item_id, 'name', name, 'category', category, 'unit_cost_usd', unit_cost_usd)::VARCHAR AS row
    FROM items_history WHERE load_id IN ($load_a, $load_b)
    UNION ALL
    SELECT 'partners' AS table_name, load_id,
           json_object('partner_id', partner_id)::VARCHAR AS key,
           json_object('partner_id', partner_id, 'name', name, 'tier', tier)::VARCHAR AS row
    FROM partners_history WHERE load_id IN ($load_a, $load_b)
    UNION ALL
    SELECT 'sources' AS table_name, load_id,
           json_object('source_id', source_id)::VARCHAR AS key,
           json_object('source_id', source_id, 'name', name, 'kind', kind, 'country', country, 'stock_holder', stock_holder)::VARCHAR AS row
    FROM sources_history WHERE load_id IN ($load_a, $load_b)
    UNION ALL
    SELECT 'capacity' AS table_name, load_id,
           json_object('source_id', source_id, 'item_id', item_id, 'month', month)::VARCHAR AS key,
           json_object('source_id', source_id, 'item_id', item_id, 'month', month, 'units', units)::VARCHAR AS row
    FROM capacity_history WHERE load_id IN ($load_a, $load_b)
    UNION ALL
    SELECT 'stockpiles' AS table_name, load_id,
           json_object('holder_id', holder_id, 'item_id', item_id, 'as_of', as_of)::VARCHAR AS key,
           json_object('holder_id', holder_id, 'item_id', item_id, 'as_of', as_of, 'units', units, 'floor_units', floor_units, 'target_units', target_units, 'releasable_to', releasable_to)::VARCHAR AS row
    FROM stockpiles_history WHERE load_id IN ($load_a, $load_b)
    UNION ALL
    SELECT 'consumption' AS table_name, load_id,
           json_object('holder_id', holder_id, 'item_id', item_id, 'month', month)::VARCHAR AS key,
           json_object('holder_id', holder_id, 'item_id', item_id, 'month', month, 'units', units)::VARCHAR AS row
    FROM consumption_history WHERE load_id IN ($load_a, $load_b)
    UNION ALL
    SELECT 'commitments' AS table_name, load_id,
           json_object('commitment_id', commitment_id)::VARCHAR AS key,
           json_object('commitment_id', commitment_id, 'partner_id', partner_id, 'item_id', item_id, 'quantity', quantity, 'promised_month', promised_month, 'priority', priority, 'announced', announced, 'releasable_to', releasable_to)::VARCHAR AS row
    FROM commitments_history WHERE load_id IN ($load_a, $load_b)
    UNION ALL
    SELECT 'deliveries' AS table_name, load_id,
           json_object('commitment_id', commitment_id, 'source_id', source_id, 'month', month, 'units', units)::VARCHAR AS key,
           json_object('commitment_id', commitment_id, 'source_id', source_id, 'month', month, 'units', units)::VARCHAR AS row
    FROM deliveries_history WHERE load_id IN ($load_a, $load_b)
    UNION ALL
    SELECT 'eligibility' AS table_name, load_id,
           json_object('source_id', source_id, 'partner_id', partner_id, 'item_id', item_id)::VARCHAR AS key,
           json_object('source_id', source_id, 'partner_id', partner_id, 'item_id', item_id, 'allowed', allowed, 'lead_time_months', lead_time_months, 'reason', reason)::VARCHAR AS row
    FROM eligibility_history WHERE load_id IN ($load_a, $load_b)
    UNION ALL
    SELECT 'absorption' AS table_name, load_id,
           json_object('partner_id', partner_id, 'category', category)::VARCHAR AS key,
           json_object('partner_id', partner_id, 'category', category, 'units_per_month', units_per_month)::VARCHAR AS row
    FROM absorption_history WHERE load_id IN ($load_a, $load_b)
    UNION ALL
    SELECT 'expansion_options' AS table_name, load_id,
           json_object('option_id', option_id)::VARCHAR AS key,
           json_object('option_id', option_id, 'source_id', source_id, 'item_id', item_id, 'added_units_per_month', added_units_per_month, 'lead_time_months', lead_time_months, 'cost_usd', cost_usd)::VARCHAR AS row
    FROM expansion_options_history WHERE load_id IN ($load_a, $load_b)
    UNION ALL
    SELECT 'bom' AS table_name, load_id,
           json_object('item_id', item_id, 'component_id', component_id, 'source_id', source_id)::VARCHAR AS key,
           json_object('item_id', item_id, 'component_id', component_id, 'units_per_item', units_per_item, 'lead_time_months', lead_time_months, 'source_id', source_id)::VARCHAR AS row
    FROM bom_history WHERE load_id IN ($load_a, $load_b)
    UNION ALL
    SELECT 'uncertainty' AS table_name, load_id,
           json_object('target', target, 'item_id', item_id, 'kind', kind)::VARCHAR AS key,
           json_object('target', target, 'item_id', item_id, 'kind', kind, 'distribution', distribution, 'low', low, 'mode', mode, 'high', high)::VARCHAR AS row
    FROM uncertainty_history WHERE load_id IN ($load_a, $load_b)
),
numbered AS (
    SELECT *, row_number() OVER (PARTITION BY table_name, load_id, key ORDER BY row) AS copy
    FROM loaded
),
a AS (SELECT * FROM numbered WHERE load_id = $load_a),
b AS (SELECT * FROM numbered WHERE load_id = $load_b)
SELECT coalesce(a.table_name, b.table_name) AS table_name,
       coalesce(a.key, b.key) AS key,
       a.row AS before,
       b.row AS after
FROM a
FULL JOIN b ON a.table_name = b.table_name AND a.key = b.key AND a.copy = b.copy
WHERE a.row IS DISTINCT FROM b.row
ORDER BY table_name, key, coalesce(a.copy, b.copy);
