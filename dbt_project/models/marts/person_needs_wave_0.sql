-- Generated from the catalogue (bold_assets/catalog) by `python -m bold_assets.catalog.dbt`: do not edit.
-- Wave-0 needs and outcomes (Data First justice extracts; the records of wave 0) per estimated
-- person at each linkage threshold of the wave; flag columns are generated from the wave-0 rows of
-- the risk factor register (macros/person_needs.sql).
{{ person_needs(0) }}
