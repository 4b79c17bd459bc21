-- Check frame for fx_rates: typed values plus one column per cross-row rule (null = rule met).
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
        when count(*) over (partition by rate_date, currency) > 1
            and rate_date is not null and currency is not null
            then currency
    end as currency__duplicate_rate
from typed
