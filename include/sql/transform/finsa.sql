-- FinSA category per open client (RULES.md, FinSA categories): the base category (entity type and
-- professional treasury, then the large-company test in CHF), then the finsa request in force at
-- D. A CHF amount is the EUR amount divided by the CHF rate on or before D; tests compare
-- eur_amount > chf_threshold x chf_rate, exactly, in decimals. With no CHF rate the CHF tests are
-- not met. The reasons always start with "<finsa_basis>: " and show CHF figures.
-- grain: one row per open client that is a legal entity or has a finsa request in force
-- (accepted or withdrawn); segments.sql gives the others the values of _individual.sql.
{% import "macros.sql" as m with context %}
{% from "transform/_individual.sql" import individual %}
{% set finsa = policy.finsa %}
{% set figures = finsa.large_company_chf %}
{% set opting_out = finsa.opting_out_chf %}
{% set as_of_text = "cast(cast(:as_of as date) as text)" %}
with requests as not materialized (
    select * from {{ ref("requests_in_force") }}
    where regime = 'finsa'
),

clients as not materialized (
    -- legal entities, and individuals with a request
    select * from {{ ref("clients") }}
    where client_type = 'legal_entity'
        or client_id in (select client_id from requests)
),

measures as not materialized (
    select * from {{ ref("measures") }}
),

rates_on_as_of as not materialized (
    select * from {{ ref("fx_daily") }}
    where day = :as_of
),

chf_rate as (
    select eur_per_unit as chf_eur_per_unit
    from rates_on_as_of
    where currency = 'CHF'
),

financials as (
    -- legal entities' figures and the EUR rate of their currency on or before D (null: unknown)
    select
        clients.client_id,
        clients.financials_currency,
{% for figure in figures %}
        clients.{{ figure }},
{% endfor %}
        {%+ with currency="clients.financials_currency" %}{% include "transform/_to_eur.sql" %}{% endwith %}
        as eur_per_unit
    from clients
    left join rates_on_as_of as fx on clients.financials_currency = fx.currency
    where clients.client_type = 'legal_entity'
),

financials_eur as (
    select
        financials.client_id,
        financials.financials_currency,
{% for figure in figures %}
        financials.{{ figure }} * financials.eur_per_unit as {{ figure }}_eur,
{% endfor %}
        financials.eur_per_unit,
        chf_rate.chf_eur_per_unit
    from financials
    left join chf_rate on true
),

large_company_tests as (
    -- each figure > its CHF threshold; an unknown figure or a missing CHF rate is not met
    select
        *,
{% for figure, threshold in figures.items() %}
{% set met %}{{ figure }}_eur > {{ threshold }} * chf_eur_per_unit{% endset %}
{% set not_tested %}case when {{ figure }}_eur is null then '{{ figure }} unknown' else '{{ figure }} not assessed' end{% endset %}
        case when {{ met }} then 1 else 0 end as {{ figure }}_met,
        {{ m.amount_test(figure, figure ~ "_eur", met, ">", "<=", threshold, not_tested,
                         "chf_eur_per_unit") }} as {{ figure }}_test,
{% endfor %}
        case
            when financials_currency is null then ' (financials_currency missing: figures unknown)'
            when eur_per_unit is null
                then ' (no EUR rate for ' || financials_currency || ' on or before '
                    || {{ as_of_text }} || ': figures unknown)'
            when chf_eur_per_unit is null
                then ' (no CHF rate on or before ' || {{ as_of_text }}
                    || ': the CHF tests count as not met)'
            else ' (amounts in CHF at ' || {{ m.fmt_number("chf_eur_per_unit") }} || ' EUR per CHF'
                || case
                    when financials_currency in ('EUR', 'CHF') then ''
                    else '; ' || financials_currency || ' converted to EUR at '
                        || {{ m.fmt_number("eur_per_unit") }} || ' EUR per ' || financials_currency
                end
                || ')'
        end as currency_note
    from financials_eur
),

large_companies as (
    select
        client_id,
        {% for figure in figures %}{{ figure }}_met{{ " + " if not loop.last }}{% endfor %}
        as met_count,
        concat_ws(
            '; ',
{% for figure in figures %}
            case when {{ figure }}_met = 1 then {{ figure }}_test end{{ "," if not loop.last }}
{% endfor %}
        ) || currency_note as met_tests,
        concat_ws(
            '; ',
{% for figure in figures %}
            {{ figure }}_test{{ "," if not loop.last }}
{% endfor %}
        ) || currency_note as all_tests
    from large_company_tests
),

base as (
    -- the base category, first match wins
    select
        clients.client_id,
        clients.entity_type,
        coalesce(clients.investment_knowledge, false) as investment_knowledge,
        case
            when clients.entity_type in {{ sql_list(finsa.per_se_institutional) }}
                then 'institutional'
            when clients.entity_type in {{ sql_list(finsa.institutional_with_treasury) }}
                and coalesce(clients.has_professional_treasury, false) then 'institutional'
            when clients.entity_type in {{ sql_list(finsa.professional_with_treasury) }}
                and coalesce(clients.has_professional_treasury, false) then 'professional'
            when large_companies.met_count >= {{ finsa.large_company_min_met }} then 'professional'
            else 'retail'
        end as base_category,
        case
            when clients.entity_type in {{ sql_list(finsa.per_se_institutional) }}
                then 'per_se_institutional'
            when clients.entity_type in {{ sql_list(finsa.institutional_with_treasury) }}
                and coalesce(clients.has_professional_treasury, false) then 'per_se_institutional'
            when clients.entity_type in {{ sql_list(finsa.professional_with_treasury) }}
                and coalesce(clients.has_professional_treasury, false) then 'per_se_professional'
            when large_companies.met_count >= {{ finsa.large_company_min_met }}
                then 'per_se_professional'
            else 'default'
        end as base_basis,
        case
            when clients.entity_type in {{ sql_list(finsa.per_se_institutional) }}
                then 'per_se_institutional: entity_type ' || clients.entity_type
                    || ' is an institutional client per se'
            when clients.entity_type in {{ sql_list(finsa.institutional_with_treasury) }}
                and coalesce(clients.has_professional_treasury, false)
                then 'per_se_institutional: entity_type ' || clients.entity_type
                    || ' with a professional treasury'
            when clients.entity_type in {{ sql_list(finsa.professional_with_treasury) }}
                and coalesce(clients.has_professional_treasury, false)
                then 'per_se_professional: entity_type ' || clients.entity_type
                    || ' with a professional treasury'
            when large_companies.met_count >= {{ finsa.large_company_min_met }}
                then 'per_se_professional: large company, '
                    || cast(large_companies.met_count as text) || '/{{ figures | length }} met: '
                    || large_companies.met_tests
            when large_companies.client_id is not null
                then 'default: entity_type ' || clients.entity_type
                    || case
                        when coalesce(clients.has_professional_treasury, false)
                            then ' with a professional treasury'
                        else ' without a professional treasury'
                    end
                    || ' is not institutional or professional per se and not a large company '
                    || '(needs {{ finsa.large_company_min_met }}/{{ figures | length }}), '
                    || cast(large_companies.met_count as text) || '/{{ figures | length }} met: '
                    || large_companies.all_tests
            else '{{ individual.reason }}'
        end as base_reason
    from clients
    left join large_companies on clients.client_id = large_companies.client_id
),

opting_out_tests as (
    -- investable assets in CHF on D against the opting-out thresholds
    select
        base.client_id,
        case
            when measures.investable_assets_eur >= {{ opting_out.assets }} * chf_rate.chf_eur_per_unit
                then 1
            when base.investment_knowledge
                and measures.investable_assets_eur
                    >= {{ opting_out.assets_with_knowledge }} * chf_rate.chf_eur_per_unit
                then 1
            else 0
        end as opting_out_met,
        case
            when chf_rate.chf_eur_per_unit is null
                then 'investable assets in CHF unknown (no CHF rate on or before '
                    || {{ as_of_text }} || ', EUR '
                    || {{ m.fmt_amount("measures.investable_assets_eur") }} || ')'
            else 'investable assets CHF '
                || {{ m.fmt_amount("measures.investable_assets_eur", "chf_rate.chf_eur_per_unit") }}
                || case
                    when measures.investable_assets_eur
                        >= {{ opting_out.assets }} * chf_rate.chf_eur_per_unit then ' >= '
                    else ' < '
                end
                || '{{ "{:,.0f}".format(opting_out.assets) }}; investment_knowledge '
                || case
                    when not base.investment_knowledge then 'no'
                    when measures.investable_assets_eur
                        >= {{ opting_out.assets_with_knowledge }} * chf_rate.chf_eur_per_unit
                        then 'yes and assets >= '
                            || '{{ "{:,.0f}".format(opting_out.assets_with_knowledge) }}'
                    else 'yes but assets < '
                        || '{{ "{:,.0f}".format(opting_out.assets_with_knowledge) }}'
                end
                || ' (on ' || {{ as_of_text }} || ', EUR '
                || {{ m.fmt_amount("measures.investable_assets_eur") }} || ' at '
                || {{ m.fmt_number("chf_rate.chf_eur_per_unit") }} || ' EUR per CHF)'
        end as opting_out_text
    from base
    inner join measures on base.client_id = measures.client_id
    inner join requests
        on base.client_id = requests.client_id
        and requests.status = 'accepted'
        and requests.requested_category = 'professional'
    left join chf_rate on true
),

decided as (
    -- the transition the request in force makes (null: none applies)
    select
        base.*,
        requests.request_id,
        requests.requested_category,
        requests.status as request_status,
        requests.request_id || ' (received ' || cast(requests.received_date as text)
            || ') to be treated as ' || requests.requested_category as request_text,
        cast(requests.received_date as text) as received_text,
        opting_out_tests.opting_out_text,
        case
            when requests.status <> 'accepted' or requests.status is null then null
            when base.base_category = 'retail' and requests.requested_category = 'professional'
                and opting_out_tests.opting_out_met = 1 then 'opting_out'
            when base.base_category = 'retail' and requests.requested_category = 'professional'
                then 'opting_out_refused'
            when base.base_category = 'professional' and requests.requested_category = 'retail'
                then 'opting_in'
            when base.base_category = 'institutional'
                and requests.requested_category = 'professional' then 'opting_in'
            when base.base_category = 'professional'
                and base.entity_type in {{ sql_list(finsa.opting_out_to_institutional) }}
                and requests.requested_category = 'institutional' then 'opting_out'
        end as request_basis
    from base
    left join requests on base.client_id = requests.client_id
    left join opting_out_tests on base.client_id = opting_out_tests.client_id
),

categorised as (
    select
        client_id,
        case
            when request_basis in ('opting_out', 'opting_in') then requested_category
            when request_basis = 'opting_out_refused' then 'retail'
            else base_category
        end as finsa_category,
        coalesce(request_basis, base_basis) as finsa_basis,
        case
            when request_basis = 'opting_out' and requested_category = 'professional'
                then 'opting_out: request ' || request_text || ' applied: ' || opting_out_text
                    || '. Base: ' || base_reason
            when request_basis = 'opting_out'
                then 'opting_out: request ' || request_text || ' applied to a professional client '
                    || 'of entity_type ' || entity_type || '. Base: ' || base_reason
            when request_basis = 'opting_out_refused'
                then 'opting_out_refused: request ' || request_text || ' refused: '
                    || opting_out_text || '. Stays retail. Base: ' || base_reason
            when request_basis = 'opting_in'
                then 'opting_in: request ' || request_text || ' applied, instead of the base '
                    || 'category ' || base_category || '. Base: ' || base_reason
            when request_status = 'withdrawn'
                then base_reason || '. No request in force: request ' || request_id
                    || ' (received ' || received_text || ') was withdrawn'
            when request_status = 'accepted'
                then base_reason || '. Request ' || request_text || ' was not applied: '
                    || case
                        when requested_category = base_category
                            then 'the client is already ' || base_category
                        when requested_category = 'institutional'
                            then 'only a professional client of entity_type '
                                || '{{ finsa.opting_out_to_institutional | join(", ") }}'
                                || ' can opt out to institutional'
                        when base_category = 'institutional'
                            then 'an institutional client can only opt in to professional'
                        else 'no rule turns ' || base_category || ' into ' || requested_category
                    end
            else base_reason
        end as finsa_reasons
    from decided
),

final as (
    select
        client_id,
        finsa_category,
        finsa_basis,
        finsa_reasons
    from categorised
)

select * from final
