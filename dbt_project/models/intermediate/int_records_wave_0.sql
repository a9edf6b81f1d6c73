-- Person records of wave 0's sources in one shape (macros/wave_records.sql).
{{ wave_records(0) }}
