-- H-CLIC Support needs: one row per support need of a household, keyed to its case
-- (case_ref_hash), recorded by the council's assessing officer. Need groups: offending (01),
-- mental_health (02), physical_health (03, physical ill health and disability), substance_misuse
-- (04 drug, 05 alcohol dependency), domestic_abuse (06, at risk of or has experienced it),
-- homelessness_history (07 repeat homelessness, 08 rough sleeping), young_or_care_leaver (09, 10),
-- learning_disability (11), ete (12, access to education, employment or training), unknown
-- (missing). event_date: the date of the assessment that recorded the need.
select
    row_id_hash,
    'hclic_support_needs' as source_dataset,
    case_ref_hash,
    date_of_assessment as event_date,
    date_of_assessment,
    support_need,
    case
        when support_need is null then 'unknown'
        when support_need = '01' then 'offending'
        when support_need = '02' then 'mental_health'
        when support_need = '03' then 'physical_health'
        when support_need in ('04', '05') then 'substance_misuse'
        when support_need = '06' then 'domestic_abuse'
        when support_need in ('07', '08') then 'homelessness_history'
        when support_need in ('09', '10') then 'young_or_care_leaver'
        when support_need = '11' then 'learning_disability'
        when support_need = '12' then 'ete'
        else 'unknown'
    end as need_group,
    coalesce(support_need = '01', false) as need_offending,
    coalesce(support_need = '02', false) as need_mental_health,
    coalesce(support_need = '03', false) as need_physical_health,
    coalesce(support_need in ('04', '05'), false) as need_substance_misuse,
    coalesce(support_need = '06', false) as need_domestic_abuse,
    coalesce(support_need = '08', false) as need_rough_sleeping,
    age_at_event,
    lsoa_code,
    lad_code
from {{ source('research', 'hclic_support_needs') }}
