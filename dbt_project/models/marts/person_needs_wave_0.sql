-- Wave-0 needs and outcomes per estimated person (published medium match threshold).
-- depends_on: {{ ref('risk_factor_register') }}
{{ person_needs('estimated_xjs_id', 'medium') }}
