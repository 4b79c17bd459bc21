-- The MiFID opt-up measures as of the received date R of each request in force to be treated
-- as professional (RULES.md, MiFID II categories): significant trades in the window ending on R,
-- (R - 12 months, R], the portfolio value of the latest holdings snapshot on or before R, and the
-- financial_sector_experience_years of the client version known on R (the latest updated on or
-- before R, else the earliest: the rule of clients.sql applied to R instead of D).
-- Aggregated per request first, then joined: no per-client subqueries on the big tables; the
-- trades and the snapshot as of R come from opt_up_trades.sql and opt_up_snapshots.sql.
-- grain: one row per client with a mifid request for professional in force at D.
{% import "macros.sql" as m with context %}
with requests as not materialized (
    select * from {{ ref("opt_up_requests") }}
),

trades_on_request as (
    select client_id, significant_trades as significant_trades_12m
    from {{ ref("opt_up_trades") }}
),

snapshots_on_request as not materialized (
    select * from {{ ref("opt_up_snapshots") }}
),

versions as (
    select * from staging.client_versions
),

versions_on_request as (
    select
        requests.client_id,
        versions.updated_at,
        coalesce(versions.financial_sector_experience_years, 0) as experience_years,
        versions.updated_at is null
            or cast(versions.updated_at as date) <= requests.received_date as is_known_on_request
    from requests
    inner join versions on requests.client_id = versions.client_id
),

version_on_request as (
    select
        client_id,
        experience_years,
        {{ m.version_rank("is_known_on_request") }} as version_rank
    from versions_on_request
),

opt_up as (
    select
        requests.client_id,
        requests.request_id,
        requests.received_date,
        coalesce(trades_on_request.significant_trades_12m, 0) as significant_trades_12m,
        snapshots_on_request.snapshot_date,
        coalesce(snapshots_on_request.portfolio_value_eur, 0) as portfolio_value_eur,
        coalesce(version_on_request.experience_years, 0) as experience_years
    from requests
    left join trades_on_request on requests.client_id = trades_on_request.client_id
    left join snapshots_on_request on requests.client_id = snapshots_on_request.client_id
    left join version_on_request
        on requests.client_id = version_on_request.client_id
        and version_on_request.version_rank = 1
)

select * from opt_up
