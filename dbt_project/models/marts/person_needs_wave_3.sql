-- Generated from the catalogue (bold_assets/catalog) by `python -m bold_assets.catalog.dbt`: do not edit.
-- Wave-3 needs and outcomes (Health: NHS hospital and mental-health data, ONS deaths; the records
-- of waves 0-3) per estimated person at each linkage threshold of the wave; flag columns are
-- generated from the wave-3 rows of the risk factor register (macros/person_needs.sql).
{{ person_needs(3) }}
