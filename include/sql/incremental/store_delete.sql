-- Rows of files that changed or vanished leave the store (their new version is read now).
delete from {{ store }}
where _file in (
    select file from {{ plan }}
    where table_name = :table_name and action in ('read', 'gone')
)
