-- The files of folder-delivered tables that a run has read and validated, by content.
-- grain: one row per (table_name, file); file is the name inside the table's folder.
create table if not exists staging.source_files (
    table_name text not null,
    file text not null,
    size bigint,
    mtime_ns bigint,
    sha256 text,
    rows_read bigint,
    rows_used bigint,
    rows_quarantined bigint,
    run_id text,
    loaded_at timestamp
)
