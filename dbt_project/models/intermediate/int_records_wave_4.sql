-- Generated from the catalogue (bold_assets/catalog) by `python -m bold_assets.catalog.dbt`: do not edit.
-- Person records of wave 4's sources in one shape (macros/wave_records.sql).
{{ wave_records(4) }}
