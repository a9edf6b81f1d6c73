-- Generated from the catalogue (bold_assets/catalog) by `python -m bold_assets.catalog.dbt`: do not edit.
-- Dated evidence signals of wave 4 per record, long form: (source_dataset, row_id_hash, signal,
-- signal_date), generated from the wave-4 entries of var('evidence_signals') in dbt_project.yml
-- (one select per `from` entry, in declaration order). The person marts count a signal when
-- its date falls in its window before the snapshot date.
{{ evidence_signal_rows(4) }}
