-- Generated from the catalogue (bold_assets/catalog) by `python -m bold_assets.catalog.dbt`: do not edit.
-- Wave-1 needs and outcomes (MoJ-DfE share: PNC and the National Pupil Database; the records of
-- waves 0-1) per estimated person at each linkage threshold of the wave; flag columns are generated
-- from the wave-1 rows of the risk factor register (macros/person_needs.sql).
{{ person_needs(1) }}
