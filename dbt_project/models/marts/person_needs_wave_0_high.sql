-- Linkage sensitivity: the same flags with persons clustered at the high match threshold.
{{ person_needs('xjs_id_high', 'high') }}
