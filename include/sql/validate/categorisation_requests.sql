-- Check frame for categorisation_requests: typed values plus cross-row rules (null = rule met).
{% import "macros.sql" as m with context %}
with raw as (
    select * from {{ raw }}
),

typed as (
    select
{% include "validate/_check_frame.sql" %}
    from raw
),

valid_clients as (
    select distinct client_id from {{ valid.clients }} as clients
)

select
    typed.*,
    case
        when count(*) over (partition by typed.request_id) > 1 and typed.request_id is not null
            then typed.request_id
    end as request_id__duplicate,
    case
        when typed.client_id is not null and valid_clients.client_id is null then typed.client_id
    end as client_id__unknown,
    case
        when typed.regime = 'mifid'
            and typed.requested_category not in {{ sql_list(vocab.MIFID_CATEGORIES) }}
            then typed.requested_category
        when typed.regime = 'finsa'
            and typed.requested_category not in {{ sql_list(vocab.FINSA_CATEGORIES) }}
            then typed.requested_category
    end as requested_category__not_in_regime
from typed
left join valid_clients on typed.client_id = valid_clients.client_id
