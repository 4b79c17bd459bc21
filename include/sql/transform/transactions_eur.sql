-- Executed transactions dated on or before D, converted to EUR at their trade date's rate.
-- grain: one row per transaction.
with transactions as (
    select * from {{ typed("transactions") }}
    where status = 'executed' and trade_date <= :as_of
),

fx_daily as (
    select * from {{ ref("fx_daily") }}
),

converted as (
    select
        transactions.transaction_id,
        transactions.client_id,
        transactions.trade_date,
        transactions.notional * {% with currency="transactions.currency" %}{% include "transform/_to_eur.sql" %}{% endwith %} as notional_eur,
        transactions.fee * {% with currency="transactions.currency" %}{% include "transform/_to_eur.sql" %}{% endwith %} as fee_eur
    from transactions
    left join fx_daily as fx
        on transactions.currency = fx.currency and transactions.trade_date = fx.day
)

select * from converted
