-- The ids a what-if form may name, by the role they play.
-- one row per role, id
SELECT DISTINCT 'production_source' AS role, source_id AS id
FROM sources
WHERE kind IN ('us_production', 'co_production', 'allied_production')
UNION ALL
SELECT DISTINCT 'stock_source' AS role, source_id AS id
FROM sources
WHERE kind IN ('us_stock', 'allied_stock')
UNION ALL
SELECT DISTINCT 'source' AS role, source_id AS id FROM sources
UNION ALL
SELECT DISTINCT 'item' AS role, item_id AS id FROM items
UNION ALL
SELECT DISTINCT 'partner' AS role, partner_id AS id FROM partners
UNION ALL
SELECT DISTINCT 'holder' AS role, holder_id AS id FROM consumption
UNION ALL
SELECT DISTINCT 'holder' AS role, holder_id AS id FROM stockpiles
ORDER BY role, id;
