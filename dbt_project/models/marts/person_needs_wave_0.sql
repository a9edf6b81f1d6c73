-- Wave-0 needs and outcomes per estimated person (published medium match threshold).
{{ person_needs('estimated_xjs_id', 'medium') }}
