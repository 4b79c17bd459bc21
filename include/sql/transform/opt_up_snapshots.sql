-- The latest holdings snapshot on or before R of each MiFID opt-up request in force at D, and
-- its portfolio value in EUR (RULES.md: the opt-up criteria are assessed as of R).
-- Full: from every holdings row of the requesting clients. From the kept state of an earlier
-- date P (kept_state.py): the snapshot kept for the same client and R <= P; for R after P, the
-- latest snapshot dated in (P, R], else the client's latest snapshot kept for P; any other
-- request (R <= P, none kept: a request accepted late) reads every row of its client.
-- grain: one row per client with an opt-up request (opt_up_requests.sql); snapshot_date is
-- null when the client has no snapshot on or before R.
{% set kept = state.kept("opt_up_snapshots") if state else none %}
with requests as not materialized (
    select * from {{ ref("opt_up_requests") }}
),

{% if kept %}
kept_snapshots as (
    select kept.client_id, kept.snapshot_date, kept.portfolio_value_eur
    from requests
    inner join {{ kept }} as kept
        on requests.client_id = kept.client_id and requests.received_date = kept.received_date
    where requests.received_date <= :state_as_of
),

{% endif %}
to_read as (
    select * from requests
{% if kept %}
    where client_id not in (select client_id from kept_snapshots)
{% endif %}
),

holdings as (
{% if kept %}
    select * from {{ typed("holdings") }}
    where as_of_date > :state_as_of and as_of_date <= :as_of
        and client_id in (select client_id from to_read where received_date > :state_as_of)
    union all
    select * from {{ typed("holdings") }}
    where as_of_date <= :state_as_of
        and client_id in (select client_id from to_read where received_date <= :state_as_of)
{% else %}
    select * from {{ typed("holdings") }}
    where as_of_date <= :as_of and client_id in (select client_id from to_read)
{% endif %}
),

fx_daily as not materialized (
    select * from {{ ref("fx_daily") }}
),

{% include "transform/_snapshot_values.sql" %},

candidates as (
    select to_read.client_id, snapshots.snapshot_date, snapshots.portfolio_value_eur
    from to_read
    inner join snapshots
        on to_read.client_id = snapshots.client_id
        and snapshots.snapshot_date <= to_read.received_date
{% if kept %}
    union all
    -- dated on or before P: older than any snapshot dated after P
    select to_read.client_id, latest.snapshot_date, latest.portfolio_value_eur
    from to_read
    inner join {{ state.kept("latest_snapshots") }} as latest
        on to_read.client_id = latest.client_id
    where to_read.received_date > :state_as_of
{% endif %}
),

ranked as (
    select
        *,
        row_number() over (partition by client_id order by snapshot_date desc) as recency_rank
    from candidates
),

read_now as (
    select to_read.client_id, ranked.snapshot_date, ranked.portfolio_value_eur
    from to_read
    left join ranked on to_read.client_id = ranked.client_id and ranked.recency_rank = 1
)

select requests.client_id, requests.received_date, on_request.snapshot_date,
    on_request.portfolio_value_eur
from requests
inner join (
    select * from read_now
{% if kept %}
    union all
    select * from kept_snapshots
{% endif %}
) as on_request on requests.client_id = on_request.client_id
