-- What the kept state was computed from (kept_state.py): one row.
create table {{ meta }} as
select
    cast(:as_of as date) as as_of,
    cast(:settings as text) as settings,
    cast(:fx_fingerprint as text) as fx_fingerprint,
    cast(:run_id as text) as run_id,
    cast(current_timestamp as timestamp) as kept_at
