{#- Dialect differences, isolated here: DuckDB has TRY_CAST, PostgreSQL uses helper functions
    created by the schema setup (ddl/postgres_functions.sql). Both cast only text of the forms
    SOURCE.md allows (`parseable`), so both quarantine alike. -#}
{% macro try_cast(expr, type) -%}
{% if type == "text" %}{{ expr }}
{% elif type == "boolean" %}case when lower(trim({{ expr }})) in ('true', '1') then true when lower(trim({{ expr }})) in ('false', '0') then false end
{% elif dialect == "duckdb" %}case when regexp_full_match({{ expr }}, '{{ parseable(type) }}') then try_cast(trim({{ expr }}) as {{ sql_type(type) }}) end
{% else %}case when {{ expr }} ~ '{{ parseable(type) }}' then staging.try_{{ type }}({{ expr }}) end
{% endif %}
{%- endmacro %}

{#- The text a decimal, date or timestamp may be written as. Each engine's cast alone accepts
    more: PostgreSQL '01/02/2020' (as 2 January), '20260601', 'yesterday' and 'NaN'; DuckDB
    '1_000', '-1980-01-01' and '0000-01-01' (BC dates), '99999-01-01', 'epoch' and 'infinity'.
    A year is four digits, not 0000. -#}
{% macro parseable(type) -%}
{% if type == "decimal" %}^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$
{%- else %}^\s*(\d{3}[1-9]|\d{2}[1-9]0|\d[1-9]00|[1-9]000)[-/]\d{1,2}[-/]\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?\s*${% endif %}
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

{#- Amount formatting for reasons: 31,200,000 or 19,999,999.60: grouped and truncated (never
    rounded) to the cent, exactly, so a figure is never shown on the wrong side of the threshold
    it was compared with. `divisor` makes it the quotient expr / divisor (a CHF amount): DuckDB
    divides decimals in floating point, so the quotient's cents are then put right by exact
    decimal products: the largest c with c x divisor <= expr. -#}
{% macro fmt_amount(expr, divisor=none) -%}
{% set cents = exact_cents(expr, divisor) %}{% if dialect == "duckdb" %}case when {{ cents }} = trunc({{ cents }}) then format('{:,.0f}', cast({{ cents }} as double)) else format('{:,.2f}', cast({{ cents }} as double)) end
{%- else %}trim(to_char({{ cents }}, case when {{ cents }} = trunc({{ cents }}) then 'FM999,999,999,999,999,990' else 'FM999,999,999,999,999,990.00' end)){% endif %}
{%- endmacro %}

{% macro exact_cents(expr, divisor=none) -%}
{% if divisor is none %}trunc({{ expr }}, 2)
{%- else %}{% set near = "cast(trunc(round(cast((" ~ expr ~ ") / (" ~ divisor ~ ") as " ~ ("double" if dialect == "duckdb" else "numeric") ~ "), 6), 2) as decimal(38, 2))" -%}
(case when {{ near }} * ({{ divisor }}) > {{ expr }} then {{ near }} - 0.01 when ({{ near }} + 0.01) * ({{ divisor }}) <= {{ expr }} then {{ near }} + 0.01 else {{ near }} end)
{%- endif %}
{%- endmacro %}

{#- A threshold test for reasons: "<label> <amount> <op> <threshold>" (`op` when `met`, else
    `not_op`), or `otherwise` when the amount is null. The formatting is not inside a CASE branch:
    DuckDB evaluates it there about twice as slowly. -#}
{% macro amount_test(label, amount, met, op, not_op, threshold, otherwise, divisor=none) -%}
coalesce(
            '{{ label }} ' || {{ fmt_amount(amount, divisor) }}
                || case when {{ met }} then ' {{ op }} ' else ' {{ not_op }} ' end
                || '{{ "{:,.0f}".format(threshold) }}',
            {{ otherwise }}
        )
{%- endmacro %}

{#- An exact decimal as plain text, no grouping, no trailing zeros: 0.92, 1.5, 40 (rates, years,
    counts in reasons). Exact on both dialects: it formats the decimal, never a double. -#}
{% macro fmt_number(expr) -%}
case when position('.' in cast({{ expr }} as text)) > 0 then rtrim(rtrim(cast({{ expr }} as text), '0'), '.') else cast({{ expr }} as text) end
{%- endmacro %}

{#- The rank of a client version: 1 for the latest updated on or before the date when `known`
    (updated_at null counts as the oldest), else the earliest version. -#}
{% macro version_rank(known) -%}
row_number() over (
            partition by client_id
            order by
                case when {{ known }} then 0 else 1 end,
                case when {{ known }} then updated_at end desc nulls last,
                updated_at asc
        )
{%- endmacro %}

{#- A text in code-point order (UTF-8 bytewise), as DuckDB sorts it, so that the ties of RULES.md
    (client_id ascending, the greatest request_id) break alike on a PostgreSQL database of any
    collation (en_US would put `a1` before `B1`). -#}
{% macro code_point_order(expr) -%}
{{ expr }}{% if dialect == "postgresql" %} collate "C"{% endif %}
{%- endmacro %}
