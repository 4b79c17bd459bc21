-- The valid rows of the files read now join the store, in date order (so date filters prune).
insert into {{ store }}
select
{% for column in table.columns %}
    valid.{{ column.name }},
{% endfor %}
    plan.file as _file
from {{ valid }} as valid
inner join {{ plan }} as plan
    on plan.table_name = :table_name and plan.path = valid._source_file
order by valid.{{ table.date_column }}
