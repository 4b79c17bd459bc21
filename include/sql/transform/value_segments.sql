-- ABC (Pareto), RFM, wealth tier, revenue trend, GAP and service level per open client.
-- grain: one row per open client.
{% import "macros.sql" as m with context %}
{% set by_client_id = m.code_point_order("client_id") %}  {#- ties: client_id ascending #}
{% set vs = policy.value_segments %}
{% set tiers = vs.wealth_tiers_eur %}
with measures as not materialized (
    select * from {{ ref("measures") }}
),

pareto as (
    select
        client_id,
        coalesce(
            sum(revenue_12m_eur) over (
                order by revenue_12m_eur desc, {{ by_client_id }}
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as revenue_ranked_before,
        -- a scalar subquery: a window over () costs another pass over the sorted rows
        (select sum(revenue_12m_eur) from measures) as revenue_total
    from measures
),

rfm_scores as (
    select
        client_id,
        ntile({{ vs.rfm_buckets }}) over (order by recency_days desc, {{ by_client_id }}) as r_score,
        ntile({{ vs.rfm_buckets }}) over (order by trades_12m, {{ by_client_id }}) as f_score,
        ntile({{ vs.rfm_buckets }}) over (order by revenue_12m_eur, {{ by_client_id }}) as m_score
    from measures
    where last_trade_date is not null
),

classified as (
    select
        measures.*,
        case
            when measures.revenue_12m_eur <= 0 or pareto.revenue_total = 0 then 'C'
            when pareto.revenue_ranked_before < {{ vs.abc.a_share }} * pareto.revenue_total then 'A'
            when pareto.revenue_ranked_before < {{ vs.abc.b_share }} * pareto.revenue_total then 'B'
            else 'C'
        end as abc_class,
        rfm_scores.r_score,
        rfm_scores.f_score,
        rfm_scores.m_score,
        case
            when rfm_scores.r_score is null then 'no_activity'
{% for row in vs.rfm_segments %}
            when rfm_scores.r_score in ({{ row.r | join(", ") }})
                and rfm_scores.f_score in ({{ row.f | join(", ") }}) then '{{ row.segment }}'
{% endfor %}
        end as rfm_segment,
        case
            when measures.client_type <> 'individual' then null
            when measures.investable_assets_eur >= {{ tiers.uhnw }} then 'uhnw'
            when measures.investable_assets_eur >= {{ tiers.hnw }} then 'hnw'
            when measures.investable_assets_eur >= {{ tiers.mass_affluent }} then 'mass_affluent'
            else 'mass_market'
        end as wealth_tier,
        case
            when measures.revenue_12m_eur = 0 and measures.revenue_prev_12m_eur = 0 then 'stable'
            when measures.revenue_prev_12m_eur = 0 then 'new'
            when measures.revenue_12m_eur
                >= {{ vs.revenue_trend.growing_ratio }} * measures.revenue_prev_12m_eur
                then 'growing'
            when measures.revenue_12m_eur
                <= {{ vs.revenue_trend.declining_ratio }} * measures.revenue_prev_12m_eur
                then 'declining'
            else 'stable'
        end as revenue_trend
    from measures
    inner join pareto on measures.client_id = pareto.client_id
    left join rfm_scores on measures.client_id = rfm_scores.client_id
),

segmented as (
    select
        classified.*,
        case
            when revenue_trend in ('growing', 'new') then 'growth'
            when abc_class in ('A', 'B') then 'active'
            else 'passive'
        end as gap_segment,
        case
            when abc_class = 'A' or wealth_tier in ('hnw', 'uhnw') then 1
            when abc_class = 'B' or wealth_tier = 'mass_affluent' then 2
            else 3
        end as service_level
    from classified
)

select * from segmented
