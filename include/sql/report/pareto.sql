-- The Pareto curve of revenue for one as-of date, thinned to at most {{ points }} points:
-- one row per bucket of the client ranking (revenue descending, ties by client_id, as the
-- ABC rule ranks), with the cumulative revenue at the bucket's last client.
with segments as (
    select
        client_id,
        revenue_12m_eur
    from mart.client_segments_history
    where as_of_date = :as_of
),

ranked as (
    select
        row_number() over (order by revenue_12m_eur desc, client_id) as client_rank,
        count(*) over () as clients,
        sum(revenue_12m_eur) over (
            order by revenue_12m_eur desc, client_id
            rows between unbounded preceding and current row
        ) as cumulative_revenue_eur,
        sum(revenue_12m_eur) over () as total_revenue_eur
    from segments
),

bucketed as (
    select
        cast(ceil(client_rank * {{ points }}.0 / clients) as integer) as bucket,
        client_rank,
        clients,
        cumulative_revenue_eur,
        total_revenue_eur
    from ranked
),

curve as (
    select
        bucket,
        max(client_rank) as client_rank,
        max(clients) as clients,
        max(cumulative_revenue_eur) as cumulative_revenue_eur,
        max(total_revenue_eur) as total_revenue_eur
    from bucketed
    group by bucket
)

select * from curve order by bucket
