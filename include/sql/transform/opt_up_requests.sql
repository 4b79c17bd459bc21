-- The MiFID requests in force at D to be treated as professional (opt-up, RULES.md): each with
-- its received date R and the start of the opt-up trading window (R - 12 months, R].
-- grain: one row per client with such a request.
{% set window_months = policy.measures.window_months %}
with requests as not materialized (
    select * from {{ ref("requests_in_force") }}
    where regime = 'mifid' and status = 'accepted' and requested_category = 'professional'
),

opt_up_requests as (
    select
        client_id,
        request_id,
        received_date,
        cast(received_date - interval '{{ window_months }} months' as date) as window_start
    from requests
)

select * from opt_up_requests
