-- The kept files of a folder table to read again: a row of theirs was quarantined, when the
-- file was read, only for a client missing from the clients or an FX rate missing, and its
-- client is valid now and (outside EUR) a rate on or before its date is valid now.
select distinct plan.path
from {{ plan }} as plan
inner join {{ fingerprints }} as files
    on files.table_name = plan.table_name and files.file = plan.file
inner join quarantine.{{ table.name }} as quarantined
    on quarantined.run_id = files.run_id
    and quarantined.source_file like ('%/' || plan.file)
where plan.table_name = '{{ table.name }}'
    and plan.action = 'kept'
    and quarantined.rules_broken in {{ sql_list(waiting_rules) }}
    and quarantined.client_id in (select client_id from {{ valid.clients }} as clients)
    and (
        quarantined.{{ table.currency_column }} = 'EUR'
        or exists (
            select 1
            from {{ valid.fx_rates }} as fx_rates
            where fx_rates.currency = quarantined.{{ table.currency_column }}
                and fx_rates.rate_date <= cast(quarantined.{{ table.date_column }} as date)
        )
    )
