-- What the kept trade state was computed from (trade_state.py): one row.
create table {{ meta }} as
select
    cast(:as_of as date) as as_of,
    cast(:window_months as text) as window_months,
    cast(:significant_notional_eur as text) as significant_notional_eur,
    cast(:fx_fingerprint as text) as fx_fingerprint,
    cast(:run_id as text) as run_id,
    cast(current_timestamp as timestamp) as kept_at
