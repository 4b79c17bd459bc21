-- The rejected rows of one table: the rules each broke, in suite order. A value that could not
-- be parsed is not also reported missing (its column's "must not be null" rule is dropped).
-- grain: one row per rejected source row.
with broken as (
    select distinct _row_id, rule, rule_order, split_part(rule, ':', 1) as column_name
    from {{ broken }}
),

unparsed as (
    select distinct _row_id, column_name
    from broken
    where rule like '%: must be a valid%'
)

select
    broken._row_id,
    string_agg(broken.rule, '; ' order by broken.rule_order) as rules_broken
from broken
left join unparsed
    on broken._row_id = unparsed._row_id
    and broken.column_name = unparsed.column_name
    and broken.rule like '%must not be null'
where unparsed._row_id is null
group by broken._row_id
