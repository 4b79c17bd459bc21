-- MiFID II category per open client (RULES.md, MiFID II categories): the base category (entity
-- type, then the large-undertaking test on the legal entity's figures in EUR at D's rate), then
-- the mifid request in force at D. The reasons always start with "<mifid_basis>: " and give the
-- deciding figures in EUR (docs/compliance.md shows examples).
-- grain: one row per open client that is a legal entity or has a mifid request in force
-- (accepted or withdrawn); segments.sql gives the others the values of _individual.sql.
{% import "macros.sql" as m with context %}
{% from "transform/_individual.sql" import individual %}
{% set mifid = policy.mifid %}
{% set figures = mifid.large_undertaking_eur %}
{% set opt_up = mifid.opt_up %}
{% set as_of_text = "cast(cast(:as_of as date) as text)" %}
{#- The three opt-up criteria (count met, and the readable tests) on given values. -#}
{% macro opt_up_met(trades, portfolio, experience) -%}
case when {{ trades }} >= {{ opt_up.significant_trades }} then 1 else 0 end
            + case when {{ portfolio }} > {{ opt_up.portfolio_value_eur }} then 1 else 0 end
            + case when {{ experience }} >= {{ opt_up.experience_years }} then 1 else 0 end
{%- endmacro %}
{% macro opt_up_tests(trades, portfolio, experience) -%}
'significant_trades_12m ' || cast({{ trades }} as text)
            || case when {{ trades }} >= {{ opt_up.significant_trades }} then ' >= ' else ' < ' end
            || '{{ opt_up.significant_trades }}; portfolio_value_eur ' || {{ m.fmt_amount(portfolio) }}
            || case when {{ portfolio }} > {{ opt_up.portfolio_value_eur }} then ' > ' else ' <= ' end
            || '{{ "{:,.0f}".format(opt_up.portfolio_value_eur) }}; financial_sector_experience_years '
            || {{ m.fmt_number(experience) }}
            || case when {{ experience }} >= {{ opt_up.experience_years }} then ' >= ' else ' < ' end
            || '{{ opt_up.experience_years }}'
{%- endmacro %}
with requests as not materialized (
    select * from {{ ref("requests_in_force") }}
    where regime = 'mifid'
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

opt_up_on_request as not materialized (
    select * from {{ ref("mifid_opt_up") }}
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
        client_id,
        financials_currency,
{% for figure in figures %}
        {{ figure }} * eur_per_unit as {{ figure }}_eur,
{% endfor %}
        eur_per_unit
    from financials
),

large_undertaking_tests as (
    -- each figure >= its EUR threshold; an unknown figure is not met
    select
        *,
{% for figure, threshold in figures.items() %}
{% set met %}{{ figure }}_eur >= {{ threshold }}{% endset %}
        case when {{ met }} then 1 else 0 end as {{ figure }}_met,
        {{ m.amount_test(figure, figure ~ "_eur", met, ">=", "<", threshold,
                         "'" ~ figure ~ " unknown'") }} as {{ figure }}_test,
{% endfor %}
        case
            when financials_currency is null then ' (financials_currency missing: figures unknown)'
            when eur_per_unit is null
                then ' (no EUR rate for ' || financials_currency || ' on or before '
                    || {{ as_of_text }} || ': figures unknown)'
            when financials_currency = 'EUR' then ' (amounts in EUR)'
            else ' (amounts in EUR; ' || financials_currency || ' converted at '
                || {{ m.fmt_number("eur_per_unit") }} || ' EUR per ' || financials_currency || ')'
        end as currency_note
    from financials_eur
),

large_undertakings as (
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
    from large_undertaking_tests
),

base as (
    -- the base category, first match wins
    select
        clients.client_id,
        clients.entity_type,
        coalesce(clients.financial_sector_experience_years, 0) as experience_years,
        coalesce(clients.entity_type in {{ sql_list(mifid.per_se_professional) }}, false)
            or coalesce(large_undertakings.met_count, 0) >= {{ mifid.large_undertaking_min_met }}
            as may_elect_ecp,
        case
            when clients.entity_type in {{ sql_list(mifid.per_se_ecp) }}
                then 'eligible_counterparty'
            when clients.entity_type in {{ sql_list(mifid.per_se_professional) }}
                then 'professional'
            when large_undertakings.met_count >= {{ mifid.large_undertaking_min_met }}
                then 'professional'
            else 'retail'
        end as base_category,
        case
            when clients.entity_type in {{ sql_list(mifid.per_se_ecp) }} then 'per_se_ecp'
            when clients.entity_type in {{ sql_list(mifid.per_se_professional) }}
                then 'per_se_professional'
            when large_undertakings.met_count >= {{ mifid.large_undertaking_min_met }}
                then 'per_se_professional'
            else 'default'
        end as base_basis,
        case
            when clients.entity_type in {{ sql_list(mifid.per_se_ecp) }}
                then 'per_se_ecp: entity_type ' || clients.entity_type
                    || ' is an eligible counterparty per se'
            when clients.entity_type in {{ sql_list(mifid.per_se_professional) }}
                then 'per_se_professional: entity_type ' || clients.entity_type
                    || ' is a professional client per se'
            when large_undertakings.met_count >= {{ mifid.large_undertaking_min_met }}
                then 'per_se_professional: large undertaking, '
                    || cast(large_undertakings.met_count as text) || '/{{ figures | length }} met: '
                    || large_undertakings.met_tests
            when large_undertakings.client_id is not null
                then 'default: entity_type ' || clients.entity_type
                    || ' is not professional per se and not a large undertaking (needs '
                    || '{{ mifid.large_undertaking_min_met }}/{{ figures | length }}), '
                    || cast(large_undertakings.met_count as text) || '/{{ figures | length }} met: '
                    || large_undertakings.all_tests
            else '{{ individual.reason }}'
        end as base_reason
    from clients
    left join large_undertakings on clients.client_id = large_undertakings.client_id
),

opt_up_criteria as (
    -- the opt-up criteria on the request's received date R (measures and client version as of
    -- R), and again on D (review)
    select
        base.client_id,
        {{ opt_up_met("opt_up_on_request.significant_trades_12m",
                      "opt_up_on_request.portfolio_value_eur",
                      "opt_up_on_request.experience_years") }}
            as met_on_request,
        {{ opt_up_tests("opt_up_on_request.significant_trades_12m",
                        "opt_up_on_request.portfolio_value_eur",
                        "opt_up_on_request.experience_years") }}
            as tests_on_request,
        {{ opt_up_met("measures.significant_trades_12m", "measures.portfolio_value_eur",
                      "base.experience_years") }}
            as met_on_as_of,
        {{ opt_up_tests("measures.significant_trades_12m", "measures.portfolio_value_eur",
                        "base.experience_years") }}
            as tests_on_as_of
    from base
    inner join opt_up_on_request on base.client_id = opt_up_on_request.client_id
    inner join measures on base.client_id = measures.client_id
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
        opt_up_criteria.met_on_request,
        opt_up_criteria.tests_on_request,
        opt_up_criteria.met_on_as_of,
        opt_up_criteria.tests_on_as_of,
        case
            when requests.status <> 'accepted' or requests.status is null then null
            when base.base_category = 'eligible_counterparty'
                and requests.requested_category in ('professional', 'retail') then 'opt_down'
            when base.base_category = 'professional'
                and requests.requested_category = 'retail' then 'opt_down'
            when base.base_category = 'professional' and base.may_elect_ecp
                and requests.requested_category = 'eligible_counterparty' then 'elective_ecp'
            when base.base_category = 'retail' and requests.requested_category = 'professional'
                and opt_up_criteria.met_on_request >= {{ opt_up.min_met }}
                then 'elective_professional'
            when base.base_category = 'retail' and requests.requested_category = 'professional'
                then 'opt_up_refused'
        end as request_basis
    from base
    left join requests on base.client_id = requests.client_id
    left join opt_up_criteria on base.client_id = opt_up_criteria.client_id
),

categorised as (
    select
        client_id,
        case
            when request_basis = 'opt_down' then requested_category
            when request_basis = 'elective_ecp' then 'eligible_counterparty'
            when request_basis = 'elective_professional' then 'professional'
            when request_basis = 'opt_up_refused' then 'retail'
            else base_category
        end as mifid_category,
        coalesce(request_basis, base_basis) as mifid_basis,
        case
            when request_basis = 'opt_up_refused' then true
            when request_basis = 'elective_professional'
                and met_on_as_of < {{ opt_up.min_met }} then true
            else false
        end as mifid_review_required,
        case
            when request_basis = 'opt_down'
                then 'opt_down: request ' || request_text || ' applied, instead of the base category '
                    || base_category || '. Base: ' || base_reason
            when request_basis = 'elective_ecp'
                then 'elective_ecp: request ' || request_text
                    || ' applied to a per se professional client. Base: ' || base_reason
            when request_basis = 'elective_professional'
                then 'elective_professional: request ' || request_text || ' applied, '
                    || cast(met_on_request as text) || '/3 opt-up criteria met on ' || received_text
                    || ': ' || tests_on_request || '. '
                    || case
                        when met_on_as_of < {{ opt_up.min_met }} then 'Review required: only '
                        else 'No review: '
                    end
                    || cast(met_on_as_of as text) || '/3 criteria met on ' || {{ as_of_text }}
                    || ': ' || tests_on_as_of || '. Base: ' || base_reason
            when request_basis = 'opt_up_refused'
                then 'opt_up_refused: request ' || request_text || ' refused, only '
                    || cast(met_on_request as text) || '/3 opt-up criteria met on ' || received_text
                    || ' ({{ opt_up.min_met }} needed): ' || tests_on_request
                    || '. Stays retail, review required. Base: ' || base_reason
            when request_status = 'withdrawn'
                then base_reason || '. No request in force: request ' || request_id
                    || ' (received ' || received_text || ') was withdrawn'
            when request_status = 'accepted'
                then base_reason || '. Request ' || request_text || ' was not applied: '
                    || case
                        when requested_category = base_category
                            then 'the client is already ' || base_category
                        when requested_category = 'eligible_counterparty'
                            then 'eligible_counterparty can be elected only by a professional '
                                || 'client that is a large undertaking or of entity_type '
                                || '{{ mifid.per_se_professional | join(", ") }}'
                        else 'no rule turns ' || base_category || ' into ' || requested_category
                    end
            else base_reason
        end as mifid_reasons
    from decided
),

final as (
    select
        client_id,
        mifid_category,
        mifid_basis,
        mifid_review_required,
        mifid_reasons
    from categorised
)

select * from final
