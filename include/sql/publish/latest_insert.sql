-- mart.client_segments: the latest as-of date of the history only.
insert into mart.client_segments ({{ columns_of("mart.client_segments") }})
select {{ columns_of("mart.client_segments") }} from mart.client_segments_history
where as_of_date = (select max(as_of_date) from mart.client_segments_history)
