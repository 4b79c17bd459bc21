-- Clients per value of each attribute for one as-of date, with their revenue:
-- one row per (attribute, value).
with segments as (
    select * from mart.client_segments_history where as_of_date = :as_of
),

counts as (
{% for attribute in attributes %}
    select
        '{{ attribute }}' as attribute,
        cast({{ attribute }} as text) as value,
        count(*) as clients,
        coalesce(sum(revenue_12m_eur), 0) as revenue_12m_eur
    from segments
    group by {{ attribute }}
{% if not loop.last %}
    union all
{% endif %}
{% endfor %}
)

select * from counts order by attribute, value
