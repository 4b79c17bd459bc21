-- One run's data-quality results: one row per (table, rule).
select
    "table" as table_name,
    "column" as column_name,
    rule,
    expectation,
    success,
    rows_checked,
    unexpected_count,
    details,
    checked_at
from ops.data_quality_results
where run_id = :run_id
order by "table", rule
