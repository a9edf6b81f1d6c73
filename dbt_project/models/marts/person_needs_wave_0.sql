-- Wave-0 needs and outcomes per estimated person at each linkage threshold; flag columns are
-- generated from the wave-0 rows of the risk factor register (macros/person_needs.sql).
{{ person_needs(0) }}
