-- Runs of ops.pipeline_runs: the given run (one_run), or the latest {{ limit }} runs up to
-- and including the as-of date, newest first.
select
    run_id,
    as_of_date,
    status,
    started_at,
    finished_at,
    rows_published,
    rows_quarantined,
{% for table in tables %}
    rows_read_{{ table }},
    rows_used_{{ table }},
    rows_quarantined_{{ table }},
{% endfor %}
    error
from ops.pipeline_runs
{% if one_run %}
where run_id = :run_id
{% else %}
where as_of_date <= :as_of
{% endif %}
order by started_at desc
limit {{ limit }}
