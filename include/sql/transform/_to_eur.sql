{#- The EUR rate of `currency` on `day` (a join to fx_daily aliased `fx`): 1 for EUR. -#}
case when {{ currency }} = 'EUR' then 1 else fx.eur_per_unit end
