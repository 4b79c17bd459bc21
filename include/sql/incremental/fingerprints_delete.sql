delete from {{ fingerprints }}
where table_name = :table_name
    and file in (select file from {{ plan }} where table_name = :table_name and action <> 'kept')
