-- A fingerprint of the valid FX rates dated on or before :up_to: equal when the rows are.
select md5(coalesce(string_agg(
    currency || ' ' || cast(rate_date as text) || ' ' || cast(eur_per_unit as text), ';'
    order by currency, rate_date
), ''))
from {{ fx }}
where rate_date <= :up_to
