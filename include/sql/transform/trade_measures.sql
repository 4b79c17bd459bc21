-- Trading measures per client over the window (D - 12 months, D] and the one before it, and for
-- a client with a MiFID opt-up request the significant trades of its own window (R - 12 months, R].
-- Executed trades on or before D, in EUR at their trade date's rate, aggregated in one pass over
-- the typed transactions (nothing per transaction is materialised; no second scan for opt-ups).
-- grain: one row per client with at least one executed trade on or before D.
with executed as (
    select * from {{ typed("transactions") }}
    where status = 'executed' and trade_date <= :as_of
),

fx_daily as (
    select * from {{ ref("fx_daily") }}
),

opt_up_requests as (
    select * from {{ ref("opt_up_requests") }}
),

transactions as (
    select
        executed.client_id,
        executed.trade_date,
        opt_up_requests.window_start as opt_up_window_start,
        opt_up_requests.received_date as opt_up_received_date,
        executed.notional * {% with currency="executed.currency" %}{% include "transform/_to_eur.sql" %}{% endwith %} as notional_eur,
        executed.fee * {% with currency="executed.currency" %}{% include "transform/_to_eur.sql" %}{% endwith %} as fee_eur
    from executed
    left join opt_up_requests on executed.client_id = opt_up_requests.client_id
    left join fx_daily as fx
        on executed.currency = fx.currency and executed.trade_date = fx.day
),

measures as (
    select
        client_id,
        sum(case when trade_date > :window_start then fee_eur else 0 end) as revenue_12m_eur,
        sum(
            case
                when trade_date <= :window_start and trade_date > :previous_window_start
                    then fee_eur
                else 0
            end
        ) as revenue_prev_12m_eur,
        count(case when trade_date > :window_start then 1 end) as trades_12m,
        count(
            case
                when trade_date > :window_start
                    and notional_eur >= {{ policy.measures.significant_notional_eur }}
                    then 1
            end
        ) as significant_trades_12m,
        max(trade_date) as last_trade_date,
        count(
            case
                when trade_date > opt_up_window_start and trade_date <= opt_up_received_date
                    and notional_eur >= {{ policy.measures.significant_notional_eur }}
                    then 1
            end
        ) as significant_trades_on_request
    from transactions
    group by client_id
)

select * from measures
