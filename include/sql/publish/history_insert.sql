insert into mart.client_segments_history
select * from {{ segments }}
