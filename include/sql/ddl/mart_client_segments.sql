create table if not exists mart.client_segments (
{% include "ddl/_segment_columns.sql" %}
)
