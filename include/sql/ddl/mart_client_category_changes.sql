create table if not exists mart.client_category_changes (
    as_of_date date not null,
    previous_as_of_date date,
    client_id text not null,
    attribute text not null,
    old_value text,
    new_value text,
    run_id text not null
)
