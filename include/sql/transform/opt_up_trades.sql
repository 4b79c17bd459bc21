-- Significant trades in the opt-up window (R - 12 months, R] of each MiFID opt-up request in
-- force at D (RULES.md, MiFID II categories): executed trades with notional in EUR >= the
-- significant size. Counted in the trade scan of trade_measures.sql for every request when it
-- reads every trade, else for the requests received after the kept state's date P; a count
-- kept for the same client and R <= P is reused (kept_state.py: the trades and rates on or
-- before P are unchanged); any other request's trades are counted here.
-- grain: one row per client with an opt-up request (opt_up_requests.sql).
{% set kept = state.kept("opt_up_trades") if state else none %}
with requests as not materialized (
    select * from {{ ref("opt_up_requests") }}
),

trade_measures as not materialized (
    select * from {{ ref("trade_measures") }}
),

counted_in_scan as (
    select
        requests.client_id,
        coalesce(trade_measures.significant_trades_on_request, 0) as significant_trades
    from requests
    left join trade_measures on requests.client_id = trade_measures.client_id
{% if kept %}
    where requests.received_date > :state_as_of
{% endif %}
)
{% if kept %},

kept_counts as (
    select requests.client_id, kept.significant_trades
    from requests
    inner join {{ kept }} as kept
        on requests.client_id = kept.client_id and requests.received_date = kept.received_date
    where requests.received_date <= :state_as_of
),

to_count as (
    select * from requests
    where received_date <= :state_as_of
        and client_id not in (select client_id from kept_counts)
),

executed as (
    select client_id, trade_date, currency, notional
    from {{ typed("transactions") }}
    where status = 'executed' and trade_date <= :as_of
        and client_id in (select client_id from to_count)
),

fx_daily as not materialized (
    select * from {{ ref("fx_daily") }}
),

counted_here as (
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
)
{% endif %}

select
    requests.client_id,
    requests.received_date,
    trades.significant_trades
from requests
inner join (
    select * from counted_in_scan
{% if kept %}
    union all
    select * from kept_counts
    union all
    select * from counted_here
{% endif %}
) as trades on requests.client_id = trades.client_id
