-- Each file read now, with what became of its rows: read = used + quarantined.
insert into {{ fingerprints }}
with read_rows as (
    select _source_file, count(*) as rows_read
    from {{ raw }}
    group by _source_file
),

rejected as (
    select raw._source_file, count(*) as rows_quarantined
    from {{ raw }} as raw
    inner join {{ rejects }} as rejects on raw._row_id = rejects._row_id
    group by raw._source_file
)

select
    plan.table_name,
    plan.file,
    plan.size,
    plan.mtime_ns,
    plan.sha256,
    coalesce(read_rows.rows_read, 0),
    coalesce(read_rows.rows_read, 0) - coalesce(rejected.rows_quarantined, 0),
    coalesce(rejected.rows_quarantined, 0),
    :run_id,
    current_timestamp
from {{ plan }} as plan
left join read_rows on plan.path = read_rows._source_file
left join rejected on plan.path = rejected._source_file
where plan.table_name = :table_name and plan.action = 'read'
