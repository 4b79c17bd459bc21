-- Significant trades in the opt-up window (R - 12 months, R] of each MiFID opt-up request in
-- force at D (RULES.md, MiFID II categories): executed trades with notional in EUR >= the
-- significant size. A count kept in the state of an earlier date P for the same client and R
-- <= P is reused (kept_state.py: the trades and rates on or before P are unchanged); the others
-- are counted from the transactions of the requesting clients.
-- grain: one row per client with an opt-up request (opt_up_requests.sql).
{% set kept_counts = state.kept("opt_up_trades") if state else none %}
with requests as (
    select * from {{ ref("opt_up_requests") }}
),

{% if kept_counts %}
kept as (
    select requests.client_id, kept.significant_trades
    from requests
    inner join {{ kept_counts }} as kept
        on requests.client_id = kept.client_id and requests.received_date = kept.received_date
    where requests.received_date <= :state_as_of
),

{% endif %}
to_count as (
    select * from requests
{% if kept_counts %}
    where client_id not in (select client_id from kept)
{% endif %}
),

executed as (
    select client_id, trade_date, currency, notional
    from {{ typed("transactions") }}
    where status = 'executed' and trade_date <= :as_of
        and client_id in (select client_id from to_count)
),

fx_daily as (
    select * from {{ ref("fx_daily") }}
),

counted as (
    select
        to_count.client_id,
        count(
            case
                when executed.trade_date > to_count.window_start
                    and executed.trade_date <= to_count.received_date
                    and executed.notional * {% with currency="executed.currency" %}{% include "transform/_to_eur.sql" %}{% endwith %}
                        >= {{ policy.measures.significant_notional_eur }}
                    then 1
            end
        ) as significant_trades
    from to_count
    left join executed on to_count.client_id = executed.client_id
    left join fx_daily as fx
        on executed.currency = fx.currency and executed.trade_date = fx.day
    group by to_count.client_id
),

trades as (
{% if kept_counts %}
    select * from kept
    union all
{% endif %}
    select * from counted
)

select
    requests.client_id,
    requests.received_date,
    trades.significant_trades
from requests
inner join trades on requests.client_id = trades.client_id
