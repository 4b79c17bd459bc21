-- Valid rows read now whose key the store already holds from a file this run keeps.
select
    valid._row_id,
    cast(:rule as text) as rules_broken
from {{ valid }} as valid
where exists (
    select 1
    from {{ store }} as stored
    inner join {{ plan }} as plan
        on plan.table_name = '{{ table.name }}' and plan.file = stored._file
        and plan.action = 'kept'
    where stored.{{ table.key[0] }} = valid.{{ table.key[0] }}
)
