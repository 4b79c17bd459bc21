-- One row per client and attribute whose value differs from the client's previous as-of date.
-- A client's first appearance is a change from null (old_value and previous_as_of_date null), so
-- an attribute that is null there too (wealth_tier of a legal entity) has no row: nothing changed.
-- A re-run of D recomputes every change on or after D (changes_delete.sql), so the change of the
-- next date is taken against D's new values.
-- A nightly publish (D after every published date) compares its rows with each client's latest
-- row, kept in staging.client_last_published: its cost follows the clients, not the history.
insert into mart.client_category_changes
{% if nightly %}
with compared as materialized (
    select
        published.as_of_date,
        last_published.as_of_date as previous_as_of_date,
        published.client_id,
        published.run_id,
{% for attribute in attributes %}
        last_published.{{ attribute }} as old_{{ attribute }},
        cast(published.{{ attribute }} as text) as new_{{ attribute }}{{ "," if not loop.last }}
{% endfor %}
    from {{ segments }} as published
    left join staging.client_last_published as last_published
        on published.client_id = last_published.client_id
)
{% else %}
with previous_dates as (
    select client_id, max(as_of_date) as as_of_date
    from mart.client_segments_history
    where as_of_date < :as_of
    group by client_id
),

relevant as (
    select history.*
    from mart.client_segments_history as history
    where history.as_of_date >= :as_of
    union all
    select history.*
    from mart.client_segments_history as history
    inner join previous_dates
        on history.client_id = previous_dates.client_id
        and history.as_of_date = previous_dates.as_of_date
),

compared as materialized (
    -- one window over the clients' rows (not one per attribute): each row beside the previous
    select
        as_of_date,
        lag(as_of_date) over by_client as previous_as_of_date,
        client_id,
        run_id,
{% for attribute in attributes %}
        lag(cast({{ attribute }} as text)) over by_client as old_{{ attribute }},
        cast({{ attribute }} as text) as new_{{ attribute }}{{ "," if not loop.last }}
{% endfor %}
    from relevant
    window by_client as (partition by client_id order by as_of_date)
)
{% endif %}

{% for attribute in attributes %}
select
    as_of_date,
    previous_as_of_date,
    client_id,
    '{{ attribute }}' as attribute,
    old_{{ attribute }} as old_value,
    new_{{ attribute }} as new_value,
    run_id
from compared
where as_of_date >= :as_of
    and old_{{ attribute }} is distinct from new_{{ attribute }}
{% if not loop.last %}
union all
{% endif %}
{% endfor %}
