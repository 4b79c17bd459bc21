-- A value that could not be parsed is not also reported missing: its column's "must not be
-- null" rule is dropped from the rules a row broke (its "must be a valid ..." rule names it),
-- for the quarantine and for the counts of ops.data_quality_results alike.
delete from {{ broken }}
where rule like '%must not be null'
    and exists (
        select 1
        from {{ broken }} as parse_failure
        where parse_failure._row_id = {{ broken }}._row_id
            and parse_failure.rule like '%: must be a valid%'
            and split_part(parse_failure.rule, ':', 1) = split_part({{ broken }}.rule, ':', 1)
    )
