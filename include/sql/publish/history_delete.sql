-- A re-run of a date replaces that date's rows.
delete from mart.client_segments_history where as_of_date = :as_of
