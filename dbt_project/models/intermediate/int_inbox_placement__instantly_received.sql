-- Received per-email records: where each seed's email landed.
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
where is_received
