-- The first transaction file that stops the run from starting from the kept state, or null:
-- a file the state was built from that is no longer delivered with the same content, or a file
-- added since that holds a trade dated on or before the state's date :as_of.
with current_files as (
    select file, sha256 from {{ fingerprints }}
    where table_name = 'transactions'
),

changed as (
    select kept.file
    from {{ files }} as kept
    left join current_files
        on kept.file = current_files.file and kept.sha256 = current_files.sha256
    where current_files.file is null
),

added as (
    select file from current_files
    where file not in (select file from {{ files }})
),

late as (
    select distinct store._file as file
    from {{ store }} as store
    where store._file in (select file from added) and store.trade_date <= :as_of
)

select min(file) from (
    select file from changed
    union all
    select file from late
) as blocking
