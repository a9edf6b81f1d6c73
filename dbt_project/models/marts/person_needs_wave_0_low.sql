-- Linkage sensitivity: the same flags with persons clustered at the low match threshold.
{{ person_needs('xjs_id_low', 'low') }}
