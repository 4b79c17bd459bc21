-- Check frame for clients: typed values plus one column per cross-row rule (null = rule met).
{% import "macros.sql" as m with context %}
with raw as (
    select * from {{ raw }}
),

typed as (
    select
{% include "validate/_check_frame.sql" %}
    from raw
)

select
    typed.*,
    case
        when count(*) over (partition by client_id) > 1 and client_id is not null then client_id
    end as client_id__duplicate,
    case
        when client_type = 'individual' and entity_type is not null then entity_type
        when client_type = 'legal_entity' and entity_type is null then '(null)'
    end as entity_type__mismatch
from typed
