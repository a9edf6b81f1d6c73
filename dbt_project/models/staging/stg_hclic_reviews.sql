-- H-CLIC Reviews: one row per request to review a decision, keyed to its case (case_ref_hash).
-- pending: no review decision in the return; overturned: the decision was overturned on review.
-- event_date: the date the review was requested.
select
    row_id_hash,
    'hclic_reviews' as source_dataset,
    case_ref_hash,
    review_request_date as event_date,
    review_request_date,
    review_decision_date,
    review_decision_date is null as pending,
    review_outcome,
    coalesce(review_outcome = '2', false) as overturned,
    age_at_event,
    lsoa_code,
    lad_code
from {{ source('research', 'hclic_reviews') }}
