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

{% include "validate/_client_and_currency.sql" %},

delivered_before as (
    -- ids read now that a folder delivery's files kept from earlier nights already hold: the
    -- copy delivered first stays in use (README). Only the ids read now are looked up.
    {% if kept -%}
    select distinct stored.transaction_id
    from {{ kept.store }} as stored
    inner join {{ kept.plan }} as plan
        on plan.table_name = 'transactions' and plan.file = stored._file and plan.action = 'kept'
    where stored.transaction_id in (select transaction_id from raw)
    {% else -%}
    select transaction_id from raw where false
    {% endif -%}
)

select
    typed.*,
    case
        when typed.transaction_id is not null
            and (count(*) over (partition by typed.transaction_id) > 1
                 or delivered_before.transaction_id is not null)
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
left join delivered_before on typed.transaction_id = delivered_before.transaction_id
