create table if not exists quarantine.{{ table.name }} (
{% for column in table.columns %}
    {{ column.name }} text,
{% endfor %}
    source_file text,
    source_row bigint,
    rules_broken text not null,
    run_id text not null,
    run_as_of_date date not null,
    quarantined_at timestamp not null
)
