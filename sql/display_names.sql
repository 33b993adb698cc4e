-- Display names of partners, sources, holders and items.
-- one row per kind, id
SELECT 'partner' AS kind, partner_id AS id, name FROM partners
UNION ALL
SELECT 'source' AS kind, source_id AS id, name FROM sources
UNION ALL
SELECT 'item' AS kind, item_id AS id, name FROM items
ORDER BY kind, id;
