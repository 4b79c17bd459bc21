-- A delivered client row that differs from the stored version of its (client_id, updated_at)
-- replaces it: a correction made in the source without a new updated_at, or a row that has no
-- updated_at at all. The current master data is right about its own version; the insert that
-- follows (client_versions.sql) stores the delivered row in its place.
delete from staging.client_versions as versions
using {{ clients }} as clients
where versions.client_id = clients.client_id
    and versions.updated_at is not distinct from clients.updated_at
    and (
        {%- for column in columns %}
        versions.{{ column }} is distinct from clients.{{ column }}{{ " or" if not loop.last }}
        {%- endfor %}
    )
