-- The transaction files of the store that the kept trade state was computed from.
-- grain: one row per file.
create table {{ files }} as
select file, sha256
from {{ fingerprints }}
where table_name = 'transactions'
