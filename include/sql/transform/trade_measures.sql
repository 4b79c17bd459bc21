-- Trading measures per client over the window (D - 12 months, D] and the one before it.
-- grain: one row per client with at least one executed trade on or before D.
with transactions as (
    select * from {{ ref("transactions_eur") }}
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
        max(trade_date) as last_trade_date
    from transactions
    group by client_id
)

select * from measures
