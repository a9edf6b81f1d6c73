-- Dated justice signals per record, long form: (source_dataset, row_id_hash, signal, signal_date).
-- The person marts count a signal when its date falls in the as-at window.

-- offending: a conviction, a sentence, a prison reception or a probation order / licence
select source_dataset, row_id_hash, 'offending' as signal, coalesce(disposal_date, event_date) as signal_date
from {{ ref('stg_mags') }} where convicted
union all
select source_dataset, row_id_hash, 'offending', coalesce(sentence_date, event_date)
from {{ ref('stg_crown') }} where convicted
union all
select source_dataset, row_id_hash, 'offending', reception_date
from {{ ref('stg_prison') }}
union all
select source_dataset, row_id_hash, 'offending', event_date
from {{ ref('stg_probation') }}

-- probation treatment requirements
union all
select source_dataset, row_id_hash, 'mhtr', event_date from {{ ref('stg_probation') }} where has_mhtr
union all
select source_dataset, row_id_hash, 'drr_atr', event_date from {{ ref('stg_probation') }} where has_drr or has_atr

-- family court
union all
select source_dataset, row_id_hash, 'fee_exemption', event_date from {{ ref('stg_family') }} where fee_exemption
union all
select source_dataset, row_id_hash, 'family_harm', event_date from {{ ref('stg_family') }}
where harm_alleged or case_type = 'FLA'
union all
select source_dataset, row_id_hash, 'child_proceedings', event_date from {{ ref('stg_family') }}
where children_involved > 0 and (case_type = 'PUBLIC' or harm_alleged)

-- civil possession: only people who are defendants
union all
select source_dataset, row_id_hash, 'civil_defendant', event_date from {{ ref('stg_civil') }}
where is_person and party_role = 'DEFENDANT'
union all
select source_dataset, row_id_hash, 'civil_rent_arrears', event_date from {{ ref('stg_civil') }}
where is_person and party_role = 'DEFENDANT' and claim_type in ('RENT_SOCIAL', 'RENT_PRIVATE')
union all
select source_dataset, row_id_hash, 'civil_possession',
    least(case when order_type in ('OUTRIGHT', 'SUSPENDED') then order_date end, warrant_date, possession_date)
from {{ ref('stg_civil') }}
where is_person and party_role = 'DEFENDANT'
    and (order_type in ('OUTRIGHT', 'SUSPENDED') or warrant_date is not null or possession_date is not null)
