    -- keys
    as_of_date date not null,
    client_id text not null,
    -- client
    client_type text,
    entity_type text,
    country text,
    age_band text,
    -- measures
    revenue_12m_eur numeric(38, 10),
    revenue_prev_12m_eur numeric(38, 10),
    trades_12m integer,
    significant_trades_12m integer,
    last_trade_date date,
    recency_days integer,
    portfolio_value_eur numeric(38, 10),
    investable_assets_eur numeric(38, 10),
    -- value segments
    abc_class text,
    r_score integer,
    f_score integer,
    m_score integer,
    rfm_segment text,
    wealth_tier text,
    revenue_trend text,
    gap_segment text,
    service_level integer,
    -- regulatory categories
    mifid_category text,
    mifid_basis text,
    mifid_review_required boolean,
    mifid_reasons text,
    finsa_category text,
    finsa_basis text,
    finsa_reasons text,
    -- lineage
    run_id text not null
