{#- An individual client with no request of the regime in force: the category, basis and reason
    that both MiFID II and FinSA give it (RULES.md: no entity type, no figures, nothing requested).
    mifid.sql and finsa.sql build rows for the other clients only; segments.sql gives every client
    they leave out these values. -#}
{% set individual = {
    "category": "retail",
    "basis": "default",
    "reason": "default: individual client, not professional per se",
} %}
