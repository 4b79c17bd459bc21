-- One row per currency and calendar day up to D: the latest rate dated on or before that day.
-- grain: (currency, day). EUR needs no row (its rate is 1).
with rates as not materialized (
    select * from {{ typed("fx_rates") }}
    where rate_date <= :as_of and currency <> 'EUR'
),

rate_ranges as (
    select
        currency,
        eur_per_unit,
        rate_date as valid_from,
        coalesce(
            lead(rate_date) over (partition by currency order by rate_date),
            cast(:day_after_as_of as date)
        ) as valid_to
    from rates
),

calendar as (
    select cast(day as date) as day
    from generate_series(
        cast((select min(valid_from) from rate_ranges) as timestamp),
        cast(:as_of as timestamp),
        interval '1 day'
    ) as days (day)
),

daily as (
    select
        rate_ranges.currency,
        calendar.day,
        rate_ranges.eur_per_unit
    from rate_ranges
    inner join calendar
        on calendar.day >= rate_ranges.valid_from and calendar.day < rate_ranges.valid_to
)

select * from daily
