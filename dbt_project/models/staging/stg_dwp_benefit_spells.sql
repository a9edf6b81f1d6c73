-- DWP National Benefit Database spells, keyed to the CIS person by nino_hash. A spell counts up
-- to its end, or to the day before the snapshot when it is open or ends later (an extract may
-- carry a planned end date). Out-of-work benefits as DOMAIN.md:
-- JSA, ESA, IB, IS, SDA and Universal Credit in the searching-for-work regime.
select
    row_id_hash,
    'dwp_benefit_spells' as source_dataset,
    nino_hash,
    startdate as event_date,
    startdate,
    enddate,
    case when startdate < {{ snapshot_date() }}
            then least(coalesce(enddate, {{ snapshot_date() }} - 1), {{ snapshot_date() }} - 1)
        end as active_until,
    benefit_type,
    uc_regime,
    benefit_type in ('JSA', 'ESA', 'IB', 'IS', 'SDA')
        or (benefit_type = 'UC' and uc_regime = 'SFW') as out_of_work,
    -- out of the labour market: sickness, disability or caring (no work search required)
    benefit_type in ('ESA', 'IB', 'SDA', 'IS')
        or (benefit_type = 'UC' and uc_regime in ('NWR', 'PWR', 'PFW')) as inactive,
    -- means-tested, income-related support
    benefit_type in ('JSA', 'ESA', 'IS', 'PC', 'UC') as income_related,
    benefit_type = 'UC' and uc_regime in ('WFI', 'WNR') as uc_in_work,
    age_at_event
from {{ source('research', 'dwp_benefit_spells') }}
