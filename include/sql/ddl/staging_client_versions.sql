-- Every version of a client row ever loaded, keyed by (client_id, updated_at) (RULES.md).
create table if not exists staging.client_versions (
    client_id text not null,
    client_type text,
    entity_type text,
    country text,
    birth_date date,
    occupation text,
    annual_income numeric(38, 10),
    financial_sector_experience_years numeric(38, 10),
    investment_knowledge boolean,
    has_professional_treasury boolean,
    balance_sheet_total numeric(38, 10),
    net_turnover numeric(38, 10),
    own_funds numeric(38, 10),
    financials_currency text,
    onboarding_date date,
    closed_date date,
    updated_at timestamp,
    first_loaded_run_id text not null
)
