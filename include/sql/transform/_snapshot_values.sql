{#- Portfolio value and investable assets in EUR per client and snapshot, from a CTE `holdings`
    (typed holdings rows) and a CTE `fx_daily`: the CTEs `converted` and `snapshots`. -#}
converted as (
    select
        holdings.client_id,
        holdings.as_of_date as snapshot_date,
        holdings.asset_class,
        holdings.market_value * {% with currency="holdings.currency" %}{% include "transform/_to_eur.sql" %}{% endwith %} as market_value_eur
    from holdings
    left join fx_daily as fx
        on holdings.currency = fx.currency and holdings.as_of_date = fx.day
),

snapshots as (
    select
        client_id,
        snapshot_date,
        sum(
            case
                when asset_class in {{ sql_list(policy.measures.portfolio_asset_classes) }}
                    then market_value_eur
                else 0
            end
        ) as portfolio_value_eur,
        sum(
            case
                when asset_class not in {{ sql_list(policy.measures.excluded_from_investable) }}
                    then market_value_eur
                else 0
            end
        ) as investable_assets_eur
    from converted
    group by client_id, snapshot_date
)
