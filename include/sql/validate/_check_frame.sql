{#- Shared head of every check frame: typed values, unparsed raw values, row identity. -#}
{% import "macros.sql" as m with context %}
{{ m.typed_columns(table) }}
        raw._row_id,
        raw._source_file,
        raw._source_row
