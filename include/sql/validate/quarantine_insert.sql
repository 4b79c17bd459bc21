-- The rejected rows of one table, as they came, with the rules they broke.
insert into quarantine.{{ table.name }} (
{% for column in table.columns %}
    {{ column.name }},
{% endfor %}
    source_file,
    source_row,
    rules_broken,
    run_id,
    run_as_of_date,
    quarantined_at
)
select
{% for column in table.columns %}
    raw.{{ column.name }},
{% endfor %}
    raw._source_file,
    raw._source_row,
    rejects.rules_broken,
    :run_id,
    :as_of,
    current_timestamp
from {{ raw }} as raw
inner join {{ rejects }} as rejects on raw._row_id = rejects._row_id
