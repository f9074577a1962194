"""The corpus: songs as Parquet tables and a DuckDB catalog over them."""
