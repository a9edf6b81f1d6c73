-- Generated from the catalogue (bold_assets/catalog) by `python -m bold_assets.catalog.dbt`: do not edit.
-- Wave 4's research records (attribute tables through their parent) with their estimated person
-- at each linkage threshold (macros/wave_records.sql).
{{ wave_record_links(4) }}
