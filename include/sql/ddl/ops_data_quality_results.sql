create table if not exists ops.data_quality_results (
    run_id text not null,
    as_of_date date not null,
    "table" text not null,
    "column" text,
    expectation text not null,
    rule text not null,
    success boolean not null,
    rows_checked bigint not null,
    unexpected_count bigint not null,
    details text,
    checked_at timestamp not null
)
