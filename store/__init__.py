"""The DuckDB store: schema, validated import, named queries, run bookkeeping."""
