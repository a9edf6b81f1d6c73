-- Person records of wave 1's sources in one shape (macros/wave_records.sql).
{{ wave_records(1) }}
