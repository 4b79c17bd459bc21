{#- Dialect differences, isolated here: DuckDB has TRY_CAST, PostgreSQL uses helper functions
    created by the schema setup (ddl/postgres_functions.sql). -#}
{% macro try_cast(expr, type) -%}
{% if type == "text" %}{{ expr }}
{% elif type == "boolean" %}case when lower(trim({{ expr }})) in ('true', '1') then true when lower(trim({{ expr }})) in ('false', '0') then false end
{% elif dialect == "duckdb" %}try_cast({{ expr }} as {{ sql_type(type) }})
{% else %}staging.try_{{ type }}({{ expr }})
{% endif %}
{%- endmacro %}

{% macro sql_type(type) -%}
{{ {"text": "text", "date": "date", "timestamp": "timestamp", "decimal": "numeric(38, 10)", "boolean": "boolean"}[type] }}
{%- endmacro %}

{#- A column's typed value, and the raw value when it does not parse (null otherwise). -#}
{% macro typed_columns(table, alias="raw") -%}
{% for column in table.columns %}
    {{ try_cast(alias ~ "." ~ column.name, column.type) | trim }} as {{ column.name }},
{% if column.type != "text" %}
    case
        when {{ alias }}.{{ column.name }} is not null
            and {{ try_cast(alias ~ "." ~ column.name, column.type) | trim }} is null
            then {{ alias }}.{{ column.name }}
    end as {{ column.name }}__unparsed,
{% endif %}
{% endfor %}
{%- endmacro %}

{#- Amount formatting for reasons: 31,200,000 (grouped, no decimals below 1 unit shown). -#}
{% macro fmt_amount(expr) -%}
{% if dialect == "duckdb" %}format('{:,.0f}', cast({{ expr }} as double))
{%- else %}trim(to_char({{ expr }}, 'FM999,999,999,999,999,990')){% endif %}
{%- endmacro %}

{#- An exact decimal as plain text, no grouping, no trailing zeros: 0.92, 1.5, 40 (rates, years,
    counts in reasons). Exact on both dialects: it formats the decimal, never a double. -#}
{% macro fmt_number(expr) -%}
case when position('.' in cast({{ expr }} as text)) > 0 then rtrim(rtrim(cast({{ expr }} as text), '0'), '.') else cast({{ expr }} as text) end
{%- endmacro %}
