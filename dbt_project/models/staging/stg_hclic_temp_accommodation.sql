-- H-CLIC Temporary accommodation: one row per placement, keyed to its case (case_ref_hash). A
-- placement counts up to its end, or to the day before the snapshot when it is open or ends
-- later (active_until, as MHSDS referrals and DWP spells); a placement that begins on or after the
-- snapshot has no day before it (active_until null). in_ta_at_snapshot: placed before the
-- snapshot and not ended before it. Type groups: bed_and_breakfast (1), nightly_paid (2,
-- privately managed), hostel (3, refuges too), leased (4, private sector leased by the council),
-- social_stock (5, council or housing association), other (6), unknown (missing).
-- event_date: the day of the placement.
select
    row_id_hash,
    'hclic_temp_accommodation' as source_dataset,
    case_ref_hash,
    ta_start_date as event_date,
    ta_start_date,
    ta_end_date,
    case
        when ta_start_date < {{ snapshot_date() }}
            then least(coalesce(ta_end_date, {{ snapshot_date() }} - 1), {{ snapshot_date() }} - 1)
    end as active_until,
    coalesce(
        ta_start_date < {{ snapshot_date() }}
        and (ta_end_date is null or ta_end_date >= {{ snapshot_date() }}),
        false
    ) as in_ta_at_snapshot,
    ta_type,
    case ta_type
        when '1' then 'bed_and_breakfast'
        when '2' then 'nightly_paid'
        when '3' then 'hostel'
        when '4' then 'leased'
        when '5' then 'social_stock'
        when '6' then 'other'
        else 'unknown'
    end as ta_type_group,
    coalesce(ta_type = '1', false) as bed_and_breakfast,
    coalesce(out_of_area = 'Y', false) as out_of_area,
    age_at_event,
    lsoa_code,
    lad_code
from {{ source('research', 'hclic_temp_accommodation') }}
