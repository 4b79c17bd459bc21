-- The migration matrix of one attribute between the previous as-of date and this one: clients
-- per (old value, new value). A client present on one date only has a null on the other.
with previous_date as (
    select max(as_of_date) as as_of_date
    from mart.client_segments_history
    where as_of_date < :as_of
),

previous as (
    select
        h.client_id,
        cast(h.{{ attribute }} as text) as value
    from mart.client_segments_history h
    inner join previous_date p on h.as_of_date = p.as_of_date
),

current_ as (
    select
        client_id,
        cast({{ attribute }} as text) as value
    from mart.client_segments_history
    where as_of_date = :as_of
),

joined as (
    select
        (select as_of_date from previous_date) as previous_as_of_date,
        p.value as old_value,
        c.value as new_value
    from previous p
    full outer join current_ c on p.client_id = c.client_id
),

matrix as (
    select
        previous_as_of_date,
        old_value,
        new_value,
        count(*) as clients
    from joined
    group by previous_as_of_date, old_value, new_value
)

select * from matrix order by old_value, new_value
