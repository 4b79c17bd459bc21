-- Columns by name: an upgraded warehouse may hold them in another order than the model.
insert into mart.client_segments_history ({{ columns_of("mart.client_segments_history") }})
select {{ columns_of("mart.client_segments_history") }} from {{ segments }}
