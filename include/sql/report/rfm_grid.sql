-- Clients per (r_score, f_score) cell of the RFM grid for one as-of date; clients without a
-- trade (null scores) are one row with null scores.
with segments as (
    select
        r_score,
        f_score
    from mart.client_segments_history
    where as_of_date = :as_of
),

cells as (
    select
        r_score,
        f_score,
        count(*) as clients
    from segments
    group by r_score, f_score
)

select * from cells order by r_score, f_score
