create table if not exists ops.pipeline_runs (
    run_id text not null,
    as_of_date date not null,
    started_at timestamp not null,
    finished_at timestamp,
    status text not null,
{% for table in tables %}
    rows_read_{{ table }} bigint,
    rows_used_{{ table }} bigint,
    rows_quarantined_{{ table }} bigint,
{% endfor %}
    rows_quarantined bigint,
    rows_published bigint,
    policy_version text,
    policy_sha256 text,
    source text,
    error text,
    summary text
)
