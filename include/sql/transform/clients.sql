-- The clients open on D, each in its latest version updated on or before D (any time that day),
-- or its earliest version when none is that old. Only clients of the current delivery count.
-- grain: one row per open client.
{% import "macros.sql" as m with context %}
{% set used = ["client_id", "client_type", "entity_type", "country", "birth_date",
                "financial_sector_experience_years", "investment_knowledge",
                "has_professional_treasury", "balance_sheet_total", "net_turnover", "own_funds",
                "financials_currency"] %}
with versions as (
    -- only the columns later models read (the version ranking carries every column it is given)
    select
        {{ used | join(",\n        ") }},
        onboarding_date,
        closed_date,
        updated_at,
        updated_at is null or cast(updated_at as date) <= :as_of as is_known_on_as_of
    from staging.client_versions
    where client_id in (select client_id from {{ typed("clients") }})
),

ranked as (
    select
        *,
        {{ m.version_rank("is_known_on_as_of") }} as version_rank
    from versions
),

open_clients as (
    select {{ used | join(", ") }}
    from ranked
    where version_rank = 1
        and onboarding_date <= :as_of
        and (closed_date is null or closed_date > :as_of)
)

select * from open_clients
