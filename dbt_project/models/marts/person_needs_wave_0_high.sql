-- Linkage sensitivity: the same flags with persons clustered at the high match threshold.
-- depends_on: {{ ref('risk_factor_register') }}
{{ person_needs('xjs_id_high', 'high') }}
