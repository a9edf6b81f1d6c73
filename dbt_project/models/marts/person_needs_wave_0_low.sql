-- Linkage sensitivity: the same flags with persons clustered at the low match threshold.
-- depends_on: {{ ref('risk_factor_register') }}
{{ person_needs('xjs_id_low', 'low') }}
