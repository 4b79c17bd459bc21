{#- Cross-table rules shared by holdings and transactions: known client, FX rate available. -#}
valid_clients as (
    select distinct client_id from {{ valid.clients }} as clients
),

first_rates as (
    select currency, min(rate_date) as first_rate_date
    from {{ valid.fx_rates }} as fx_rates
    group by currency
)
