-- Dated evidence signals per record, long form: (source_dataset, row_id_hash, signal, signal_date).
-- Generated from var('evidence_signals') in dbt_project.yml (one select per `from` entry, in
-- declaration order; evidence whose SQL is pending has none). The person marts count a signal
-- when its date falls in its window before the snapshot date.
{{ evidence_signal_rows() }}
