-- The first file of {{ table_name }} that stops its models from starting from the kept state,
-- or null: a file the state was built from that is no longer delivered with the same content
-- or that this run :run_id read again (incremental.recheck: rows it quarantined may be used
-- now), or a file added since that holds a row dated on or before the state's date :as_of.
with kept_files as (
    select file, sha256 from {{ files }}
    where table_name = '{{ table_name }}'
),

current_files as (
    select file, sha256 from {{ fingerprints }}
    where table_name = '{{ table_name }}'
),

read_again as (
    select file from {{ fingerprints }}
    where table_name = '{{ table_name }}' and run_id = :run_id
        and file in (select file from kept_files where kept_files.sha256 = {{ fingerprints }}.sha256)
),

changed as (
    select kept_files.file
    from kept_files
    left join current_files
        on kept_files.file = current_files.file and kept_files.sha256 = current_files.sha256
    where current_files.file is null
),

added as (
    select file from current_files
    where file not in (select file from kept_files)
),

late as (
    select distinct store._file as file
    from {{ store }} as store
    where store._file in (select file from added) and store.{{ date_column }} <= :as_of
)

select min(file) from (
    select file from changed
    union all
    select file from read_again
    union all
    select file from late
) as blocking
