-- Portfolio and investable assets in EUR per client, from its latest holdings snapshot dated on
-- or before D. Only that snapshot's rows are converted and summed.
-- Full: from every holdings row. From the kept state of an earlier date P (kept_state.py): the
-- snapshots dated in (P, D], and for a client with none there, its latest snapshot kept for P.
-- grain: one row per client with a snapshot on or before D.
-- dated_holdings is read twice: scanned twice, not copied (DuckDB would materialise the CTE,
-- a copy of every holdings row).
{% set kept = state.kept("latest_snapshots") if state else none %}
with dated_holdings as not materialized (
    select * from {{ typed("holdings") }}
    where as_of_date <= :as_of
{% if kept %}
        and as_of_date > :state_as_of
{% endif %}
),

latest_dates as (
    select client_id, max(as_of_date) as snapshot_date
    from dated_holdings
    group by client_id
),

holdings as (
    select dated_holdings.*
    from dated_holdings
    inner join latest_dates
        on dated_holdings.client_id = latest_dates.client_id
        and dated_holdings.as_of_date = latest_dates.snapshot_date
),

fx_daily as not materialized (
    select * from {{ ref("fx_daily") }}
),

{% include "transform/_snapshot_values.sql" %}

select * from snapshots
{% if kept %}
union all
select * from {{ kept }}
where client_id not in (select client_id from snapshots)
{% endif %}
