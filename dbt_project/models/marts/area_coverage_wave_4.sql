-- Generated from the catalogue (bold_assets/catalog) by `python -m bold_assets.catalog.dbt`: do not edit.
-- Wave-4 council coverage per LAD and measure (var('council_coverage'), macros/coverage.sql).
{{ area_coverage(4) }}
