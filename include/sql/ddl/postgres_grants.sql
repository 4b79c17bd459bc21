-- The BI role reads the mart and nothing else: staging and quarantine hold raw client data, and
-- ops.data_quality_results holds raw sample values. NOLOGIN: grant it to the BI tools' logins.
do $$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = '{{ role }}') then
        create role {{ role }} nologin;
    end if;
exception when duplicate_object or unique_violation then
    null;  -- created meanwhile by another session: roles are cluster-wide
end $$;

grant usage on schema mart to {{ role }};

grant select on all tables in schema mart to {{ role }};

alter default privileges in schema mart grant select on tables to {{ role }};
