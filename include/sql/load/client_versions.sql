-- Keep every version of a client row ever loaded, keyed by (client_id, updated_at).
insert into staging.client_versions
select
    clients.*,
    :run_id as first_loaded_run_id
from {{ clients }} as clients
where not exists (
    select 1
    from staging.client_versions as versions
    where versions.client_id = clients.client_id
        and versions.updated_at is not distinct from clients.updated_at
)
