-- The valid, typed rows of every delivered file of a folder table, with the file they came from.
{% import "macros.sql" as m with context %}
create table if not exists {{ store }} (
{% for column in table.columns %}
    {{ column.name }} {{ m.sql_type(column.type) }},
{% endfor %}
    _file text
)
