-- Received per-email records: where each seed's email landed. Records from before August 2025
-- have no record_type; there only received records carry the spam flag.
select
    workspace_id,
    test_id,
    created_date as placement_date,
    recipient_geo as geo,
    recipient_esp as esp,
    recipient_type,
    coalesce(lower(sender_email), 'Unknown') as sender_email,
    coalesce(is_spam, false) as is_spam,
    coalesce(has_category, false) and not coalesce(is_spam, false) as is_category
from {{ ref('stg_instantly__inbox_placement_records') }}
where record_type_code = 2 or (record_type_code is null and is_spam is not null)
