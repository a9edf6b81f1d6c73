-- ONS death registrations (wave 3): one row per registered death, keyed to the PDS person by
-- nhs_number_hash (registrations without an NHS number reach nobody). The deaths rule of the
-- person marts (var('deaths'), macros/deaths.sql) reads date_of_death: a death dated before the
-- snapshot takes the person out of that snapshot's marts, even when it was registered after the
-- snapshot, once the registration is in the extract (registration can lag death by months when
-- a coroner's inquest is held). Cause groups of the underlying cause, from the ICD-10 code lists
-- of bold_assets/catalog/icd10.py (ONS definitions): suicide (X60-X84, Y10-Y34; ages 10 and
-- over), drug poisoning (X40-X44, X60-X64, X85, Y10-Y14; a death can be both), other external
-- (any other external cause, V01-Y98) and natural (every other recorded cause).
with deaths as (
    select
        *,
        nullif(trim(s_underlying_cod_icd10), '') as underlying_cause,
        {{ icd10_in('s_underlying_cod_icd10', 'external_causes') }} as external,
        {{ icd10_in('s_underlying_cod_icd10', 'suicide') }} and coalesce(dec_agec >= 10, true) as suicide,
        {{ icd10_in('s_underlying_cod_icd10', 'drug_poisoning') }} as drug_poisoning
    from {{ source('research', 'ons_deaths') }}
)
select
    row_id_hash,
    'ons_deaths' as source_dataset,
    nhs_number_hash,
    reg_date_of_death as event_date,
    reg_date_of_death as date_of_death,
    reg_date as registration_date,
    underlying_cause,
    suicide as cause_suicide,
    drug_poisoning as cause_drug_poisoning,
    external and not suicide and not drug_poisoning as cause_other_external,
    underlying_cause is not null and not external as cause_natural,
    case
        when underlying_cause is null then 'unknown'
        when suicide then 'suicide'
        when drug_poisoning then 'drug_poisoning'
        when external then 'other_external'
        else 'natural'
    end as cause_group,
    {{ sex_code('dec_sex') }} as sex,
    dec_agec as age_at_death,
    age_at_event,
    lsoa_code,
    lad_code
from deaths
