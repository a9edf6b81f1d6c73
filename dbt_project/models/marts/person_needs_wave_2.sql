-- Generated from the catalogue (bold_assets/catalog) by `python -m bold_assets.catalog.dbt`: do not edit.
-- Wave-2 needs and outcomes (Work and benefits: DWP benefit spells and HMRC earnings; the records
-- of waves 0-2) per estimated person at each linkage threshold of the wave; flag columns are
-- generated from the wave-2 rows of the risk factor register (macros/person_needs.sql).
{{ person_needs(2) }}
