-- Check frame for transactions: typed values plus one column per cross-row rule (null = rule met).
{% import "macros.sql" as m with context %}
with raw as (
    select * from {{ raw }}
),

typed as (
    select
{% include "validate/_check_frame.sql" %}
    from raw
),

{% include "validate/_client_and_currency.sql" %}

select
    typed.*,
    case
        when count(*) over (partition by typed.transaction_id) > 1
            and typed.transaction_id is not null
            then typed.transaction_id
    end as transaction_id__duplicate,
    case
        when typed.client_id is not null and valid_clients.client_id is null then typed.client_id
    end as client_id__unknown,
    case
        when typed.currency <> 'EUR' and typed.trade_date is not null
            and (first_rates.first_rate_date is null or first_rates.first_rate_date > typed.trade_date)
            then typed.currency
    end as currency__no_rate
from typed
left join valid_clients on typed.client_id = valid_clients.client_id
left join first_rates on typed.currency = first_rates.currency
