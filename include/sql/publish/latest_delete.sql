delete from mart.client_segments
