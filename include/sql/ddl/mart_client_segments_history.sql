create table if not exists mart.client_segments_history (
{% include "ddl/_segment_columns.sql" %}
{% if dialect == "postgresql" %}
    , primary key (as_of_date, client_id)
{% endif %}
)
