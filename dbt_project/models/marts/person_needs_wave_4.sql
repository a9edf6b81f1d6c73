-- Generated from the catalogue (bold_assets/catalog) by `python -m bold_assets.catalog.dbt`: do not edit.
-- Wave-4 needs and outcomes (Homelessness: H-CLIC and local-authority housing; the records of waves
-- 0-4) per estimated person at each linkage threshold of the wave; flag columns are generated from
-- the wave-4 rows of the risk factor register (macros/person_needs.sql).
{{ person_needs(4) }}
