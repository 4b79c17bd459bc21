-- PostgreSQL: a BRIN index on the store's date column. The store is written in date order, so
-- the kept state's date ranges (kept_state.py) read a few blocks, not the whole table (DuckDB's
-- own min/max per row group does the same there).
create index if not exists {{ store.split(".")[1] }}_{{ table.date_column }}
on {{ store }} using brin ({{ table.date_column }})
