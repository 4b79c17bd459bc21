-- The rows a run would publish, as the output checks see them
-- (expectations/output/client_segments.json): every computed row, plus one row for each open
-- client without one, with flags for the checks that span rows; only the columns the suite
-- checks (`columns`), so that the check reads no more than it needs.
-- grain: one row per computed row or missing open client.
with computed as (
    select * from {{ segments }}
),

open_clients as (
    select client_id from {{ open_clients }}
),

rows_per_client as (
    select client_id, count(*) as row_count
    from computed
    group by client_id
),

checked as (
    select
{% for column in columns %}
        computed.{{ column }},
{% endfor %}
        -- checks across rows: exactly one row per open client, all for the run's date
        case when open_clients.client_id is null then computed.client_id end
            as client_id__not_open,
        case when computed.client_id is null then open_clients.client_id end
            as client_id__missing,
        case when rows_per_client.row_count > 1 then computed.client_id end
            as client_id__duplicate,
        case when computed.as_of_date <> :as_of then cast(computed.as_of_date as text) end
            as as_of_date__other,
        -- explanations: blank text is no explanation
        nullif(trim(computed.mifid_reasons), '') as mifid_reasons__text,
        nullif(trim(computed.finsa_reasons), '') as finsa_reasons__text
    from computed
    full outer join open_clients
        on computed.client_id = open_clients.client_id
    left join rows_per_client
        on computed.client_id = rows_per_client.client_id
)

select
    row_number() over (order by coalesce(client_id, client_id__missing)) as _row_id,
    *
from checked
