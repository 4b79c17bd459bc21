-- After a nightly publish, the rows of the clients it published are replaced; after any other
-- publish (a re-run or a backfill: an earlier date), every row is (last_published_insert.sql).
delete from staging.client_last_published
{% if nightly %}
where client_id in (select client_id from {{ segments }})
{% endif %}
