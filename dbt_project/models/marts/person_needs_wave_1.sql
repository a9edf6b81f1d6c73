-- Wave-1 needs and outcomes (wave 0 + the MoJ-DfE share: PNC, NPD) per spine person; flag
-- columns are generated from the wave-1 rows of the risk factor register (macros/person_needs.sql).
{{ person_needs(1) }}
