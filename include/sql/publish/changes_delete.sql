-- Changes on or after the re-run date are recomputed; earlier ones cannot have changed.
delete from mart.client_category_changes where as_of_date >= :as_of
