-- The rejected rows of one table: the rules each broke, in suite order (after
-- broken_unparsed_delete.sql).
-- grain: one row per rejected source row.
with broken as (
    select distinct _row_id, rule, rule_order
    from {{ broken }}
)

select
    _row_id,
    string_agg(rule, '; ' order by rule_order) as rules_broken
from broken
group by _row_id
