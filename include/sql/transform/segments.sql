-- The rows a run publishes: the columns of mart.client_segments_history, in its order.
-- grain: one row per open client. mifid and finsa have rows only for the clients that are more than
-- an individual without a request (their grain); the others take the values of _individual.sql.
{% from "transform/_individual.sql" import individual %}
with segments as not materialized (
    select * from {{ ref("value_segments") }}
),

mifid as not materialized (
    select * from {{ ref("mifid") }}
),

finsa as not materialized (
    select * from {{ ref("finsa") }}
),

published as (
    select
        -- keys
        cast(:as_of as date) as as_of_date,
        segments.client_id,
        -- client
        segments.client_type,
        segments.entity_type,
        segments.country,
        segments.age_band,
        -- measures
        segments.revenue_12m_eur,
        segments.revenue_prev_12m_eur,
        cast(segments.trades_12m as integer) as trades_12m,
        cast(segments.significant_trades_12m as integer) as significant_trades_12m,
        segments.last_trade_date,
        cast(segments.recency_days as integer) as recency_days,
        segments.portfolio_value_eur,
        segments.investable_assets_eur,
        -- value segments
        segments.abc_class,
        cast(segments.r_score as integer) as r_score,
        cast(segments.f_score as integer) as f_score,
        cast(segments.m_score as integer) as m_score,
        segments.rfm_segment,
        segments.wealth_tier,
        segments.revenue_trend,
        segments.gap_segment,
        cast(segments.service_level as integer) as service_level,
        -- regulatory categories
        coalesce(mifid.mifid_category, '{{ individual.category }}') as mifid_category,
        coalesce(mifid.mifid_basis, '{{ individual.basis }}') as mifid_basis,
        coalesce(mifid.mifid_review_required, false) as mifid_review_required,
        coalesce(mifid.mifid_reasons, '{{ individual.reason }}') as mifid_reasons,
        coalesce(finsa.finsa_category, '{{ individual.category }}') as finsa_category,
        coalesce(finsa.finsa_basis, '{{ individual.basis }}') as finsa_basis,
        coalesce(finsa.finsa_reasons, '{{ individual.reason }}') as finsa_reasons,
        -- lineage
        cast(:run_id as text) as run_id
    from segments
    left join mifid on segments.client_id = mifid.client_id
    left join finsa on segments.client_id = finsa.client_id
)

select * from published
