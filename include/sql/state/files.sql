-- The files of the stores that the kept state was computed from.
-- grain: one row per (table_name, file).
create table {{ files }} as
select table_name, file, sha256
from {{ fingerprints }}
where table_name in ({% for t in tables %}'{{ t }}'{{ ", " if not loop.last }}{% endfor %})
