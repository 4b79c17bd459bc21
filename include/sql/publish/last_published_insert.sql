-- A nightly publish: its own rows are its clients' latest. Any other publish: the latest row of
-- every client, from the whole history (DDL: ddl/staging_client_last_published.sql).
insert into staging.client_last_published (client_id, as_of_date, {{ attributes | join(", ") }})
select
    client_id,
    as_of_date,
{% for attribute in attributes %}
    cast({{ attribute }} as text){{ "," if not loop.last }}
{% endfor %}
{% if nightly %}
from {{ segments }}
{% else %}
from (
    select
        *,
        row_number() over (partition by client_id order by as_of_date desc) as recency
    from mart.client_segments_history
) as history
where recency = 1
{% endif %}
