-- The ids of the clients open on D (clients.sql), kept for the output checks: the published
-- rows must be exactly these clients (checks/output_rows.sql).
-- grain: one row per open client.
select client_id from {{ ref("clients") }}
