-- Local-authority housing (wave 4): one row per tenancy of a council's own stock (not housing
-- associations), linked to a spine person through the councils' trusted-third-party trace
-- (research.wave_4_link, linkage.council_links); tenant_ref_hash groups a tenant's tenancies
-- with one council. live: no end date at the extract. End groups: eviction (EVR rent arrears,
-- EVA anti-social behaviour), abandoned (ABN), tenant_notice (NTQ), move_within_stock (TRF
-- transfer, MUT mutual exchange), death (DTH), other (OTH), live (not ended), unknown (ended,
-- no reason). lost_tenancy: ended by eviction or abandonment, the loss of a council home, counted
-- on tenancy_end_date. event_date: the start of the tenancy.
select
    row_id_hash,
    'la_tenancies' as source_dataset,
    tenant_ref_hash,
    ni_number_hash,
    la_code,
    tenancy_start_date as event_date,
    tenancy_start_date,
    tenancy_end_date,
    tenancy_end_date is null as live,
    tenure_type,
    end_reason,
    case
        when end_reason in ('EVR', 'EVA') then 'eviction'
        when end_reason = 'ABN' then 'abandoned'
        when end_reason = 'NTQ' then 'tenant_notice'
        when end_reason in ('TRF', 'MUT') then 'move_within_stock'
        when end_reason = 'DTH' then 'death'
        when end_reason = 'OTH' then 'other'
        when tenancy_end_date is null then 'live'
        else 'unknown'
    end as end_group,
    coalesce(end_reason in ('EVR', 'EVA'), false) as evicted,
    coalesce(end_reason = 'EVR', false) as evicted_rent_arrears,
    coalesce(end_reason = 'EVA', false) as evicted_asb,
    coalesce(end_reason = 'ABN', false) as abandoned,
    coalesce(end_reason in ('EVR', 'EVA', 'ABN'), false) as lost_tenancy,
    arrears_at_end,
    {{ sex_code('tenant_sex') }} as sex,
    cast(null as varchar) as ethnic_group,
    age_at_event,
    lsoa_code,
    lad_code
from {{ source('research', 'la_tenancies') }}
