-- Each client's latest row in mart.client_segments_history: its as-of date and the attributes
-- mart.client_category_changes compares, as text (as compared). A nightly publish (a date after
-- every published one) finds each client's previous values here, not in the whole history;
-- publish keeps it in step with the history, in the same transaction (publish.py).
create table if not exists staging.client_last_published (
    client_id text not null,
    as_of_date date not null,
{% for attribute in attributes %}
    {{ attribute }} text{{ "," if not loop.last }}
{% endfor %}
)
