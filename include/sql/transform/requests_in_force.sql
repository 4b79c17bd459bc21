-- The categorisation request in force at D per client and regime (SOURCE.md): the latest
-- accepted or withdrawn request received on or before D, ties broken by the greatest request_id.
-- A withdrawn request in force means no request; it is kept here so the reasons can name it.
-- Pending and rejected requests, and requests received after D, never count.
-- grain: (client_id, regime), only for clients with such a request.
{% import "macros.sql" as m with context %}
with requests as not materialized (
    select * from {{ typed("categorisation_requests") }}
    where status in ('accepted', 'withdrawn') and received_date <= :as_of
),

ranked as (
    select
        client_id,
        regime,
        request_id,
        requested_category,
        received_date,
        status,
        row_number() over (
            partition by client_id, regime
            order by received_date desc, {{ m.code_point_order("request_id") }} desc
        ) as recency_rank
    from requests
),

in_force as (
    select
        client_id,
        regime,
        request_id,
        requested_category,
        received_date,
        status
    from ranked
    where recency_rank = 1
)

select * from in_force
