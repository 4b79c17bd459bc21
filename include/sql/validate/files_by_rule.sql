-- How many rows broke each rule, per source file (the reason names the file most affected).
-- grain: one row per rule and source file.
select
    broken.rule,
    check_frame._source_file,
    count(*) as row_count
from {{ broken }} as broken
inner join {{ check }} as check_frame
    on broken._row_id = check_frame._row_id
group by broken.rule, check_frame._source_file
