-- Trading measures per client over the window (D - 12 months, D] and the one before it:
-- executed trades on or before D, in EUR at their trade date's rate.
-- Full: aggregated from every executed trade. From the kept state of an earlier date P
-- (kept_state.py): that state plus the change of each trade whose windows differ between P and
-- D, i.e. the trades dated in (P, D], (P - 12 months, D - 12 months] and (P - 24 months,
-- D - 24 months] (three disjoint date ranges; the store is in date order, so each scan reads a
-- few days). Decimal sums and counts are exact, so both give the same figures.
-- significant_trades_on_request: for a client with a MiFID opt-up request received on R (after
-- P, when from the state), the significant trades of its window (R - 12 months, R]; the same
-- three ranges hold every trade that differs between that window and the window at P. Only
-- opt_up_trades.sql reads it, for those clients; for any other client it means nothing.
-- grain: one row per client with at least one executed trade on or before D.
{% set significant = policy.measures.significant_notional_eur %}
{% set kept = state.kept("trade_measures") if state else none %}
{#- sum/count over the trades of the window (start, end]: `measure` is the amount or 1 -#}
{% macro in_window(aggregate, measure, start, end, condition="true") -%}
{{ aggregate }}(case when trade_date > :{{ start }} and trade_date <= :{{ end }} and {{ condition }} then {{ measure }} end)
{%- endmacro %}
{#- the measure over the window at D, less the same over the window at P (kept in the state) -#}
{% macro change(aggregate, measure, start, end, condition="true") -%}
coalesce({{ in_window(aggregate, measure, start, end, condition) }}, 0)
{%- if kept %} - coalesce({{ in_window(aggregate, measure, "state_" ~ start, "state_" ~ end, condition) }}, 0){% endif %}
{%- endmacro %}
with executed as (
{% if kept %}
{% for start, end in [("state_as_of", "as_of"), ("state_window_start", "window_start"),
                      ("state_previous_window_start", "previous_window_start")] %}
    select * from {{ typed("transactions") }}
    where status = 'executed' and trade_date > :{{ start }} and trade_date <= :{{ end }}
{% if not loop.last %}
    union all
{% endif %}
{% endfor %}
{% else %}
    select * from {{ typed("transactions") }}
    where status = 'executed' and trade_date <= :as_of
{% endif %}
),

fx_daily as not materialized (
    select * from {{ ref("fx_daily") }}
),

opt_up_requests as not materialized (
    select * from {{ ref("opt_up_requests") }}
{% if kept %}
    where received_date > :state_as_of
{% endif %}
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

changes as (
    select
        client_id,
        {{ change("sum", "fee_eur", "window_start", "as_of") }} as revenue_12m_eur,
        {{ change("sum", "fee_eur", "previous_window_start", "window_start") }} as revenue_prev_12m_eur,
        {{ change("count", "1", "window_start", "as_of") }} as trades_12m,
        {{ change("count", "1", "window_start", "as_of", "notional_eur >= " ~ significant) }}
            as significant_trades_12m,
{% if kept %}
        max(case when trade_date > :state_as_of then trade_date end) as last_trade_date,
        -- the opt-up window (R - 12 months, R] against the window at P, for R after P
        count(
            case
                when trade_date > :state_as_of and trade_date <= opt_up_received_date
                    and notional_eur >= {{ significant }} then 1
            end
        ) - count(
            case
                when trade_date > :state_window_start and trade_date <= opt_up_window_start
                    and notional_eur >= {{ significant }} then 1
            end
        ) as significant_trades_on_request
{% else %}
        max(trade_date) as last_trade_date,
        count(
            case
                when trade_date > opt_up_window_start and trade_date <= opt_up_received_date
                    and notional_eur >= {{ significant }} then 1
            end
        ) as significant_trades_on_request
{% endif %}
    from transactions
    group by client_id
)

{% if kept %}
select
    coalesce(state.client_id, changes.client_id) as client_id,
{% for measure in ("revenue_12m_eur", "revenue_prev_12m_eur", "trades_12m",
                   "significant_trades_12m") %}
    coalesce(state.{{ measure }}, 0) + coalesce(changes.{{ measure }}, 0) as {{ measure }},
{% endfor %}
    coalesce(changes.last_trade_date, state.last_trade_date) as last_trade_date,
    coalesce(state.significant_trades_12m, 0) + coalesce(changes.significant_trades_on_request, 0)
        as significant_trades_on_request
from {{ kept }} as state
full outer join changes on state.client_id = changes.client_id
{% else %}
select * from changes
{% endif %}
