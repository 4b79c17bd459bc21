-- Every measure of RULES.md per open client; no trade or no snapshot gives zeros.
-- grain: one row per open client.
{% set bands = policy.value_segments.age_bands %}
with clients as not materialized (
    select * from {{ ref("clients") }}
),

trades as not materialized (
    select * from {{ ref("trade_measures") }}
),

latest_snapshots as not materialized (
    select * from {{ ref("latest_snapshots") }}
),

with_age as (
    -- individuals' age in whole years on D; null for legal entities and unknown birth dates
    -- (negative for a birth date after D: published as an unknown age band)
    select
        *,
        case when client_type = 'individual' then
            extract(year from cast(:as_of as date)) - extract(year from birth_date)
            - case
                when extract(month from cast(:as_of as date)) * 100
                    + extract(day from cast(:as_of as date))
                    < extract(month from birth_date) * 100 + extract(day from birth_date)
                    then 1
                else 0
            end
        end as age_years
    from clients
),

joined as (
    select
        -- client
        with_age.client_id,
        with_age.client_type,
        with_age.entity_type,
        with_age.country,
        case
            when with_age.age_years is null or with_age.age_years < 0 then null
            when with_age.age_years < {{ bands[0] }} then '<{{ bands[0] }}'
{% for low, high in zip(bands[:-1], bands[1:]) %}
            when with_age.age_years < {{ high }} then '{{ low }}-{{ high - 1 }}'
{% endfor %}
            else '{{ bands[-1] }}+'
        end as age_band,
        -- trading
        coalesce(trades.revenue_12m_eur, 0) as revenue_12m_eur,
        coalesce(trades.revenue_prev_12m_eur, 0) as revenue_prev_12m_eur,
        coalesce(trades.trades_12m, 0) as trades_12m,
        coalesce(trades.significant_trades_12m, 0) as significant_trades_12m,
        trades.last_trade_date,
        cast(:as_of as date) - trades.last_trade_date as recency_days,
        -- holdings
        coalesce(latest_snapshots.portfolio_value_eur, 0) as portfolio_value_eur,
        coalesce(latest_snapshots.investable_assets_eur, 0) as investable_assets_eur
    from with_age
    left join trades on with_age.client_id = trades.client_id
    left join latest_snapshots on with_age.client_id = latest_snapshots.client_id
)

select * from joined
