"""The DuckDB warehouse: migrations, bulk loads, trend tables and the analysts' snapshot."""
