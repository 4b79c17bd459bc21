-- PostgreSQL has no TRY_CAST: these return null where DuckDB's try_cast would.
create or replace function staging.try_date(value text) returns date
language plpgsql immutable as $$
begin
    return value::date;
exception when others then
    return null;
end $$;

create or replace function staging.try_timestamp(value text) returns timestamp
language plpgsql immutable as $$
begin
    return value::timestamp;
exception when others then
    return null;
end $$;

create or replace function staging.try_decimal(value text) returns numeric
language plpgsql immutable as $$
begin
    return value::numeric(38, 10);
exception when others then
    return null;
end $$;
