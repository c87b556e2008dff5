-- Where seed emails landed, per source, test, UTC day, geo, ESP, recipient type and sending account.
-- inbox = neither spam nor category; category = category and not spam.
with placements as (
    select
        'instantly' as source,
        *
    from {{ ref('int_inbox_placement__instantly_received') }}
    union all
    select
        'campaign_cleaner' as source,
        *
    from {{ ref('int_inbox_placement__campaign_cleaner_seeds') }}
)

select
    source,
    workspace_id,
    workspace_labels.workspace_label,
    test_id,
    placement_date as {{ adapter.quote('date') }},
    placement_date,
    geo,
    esp,
    recipient_type,
    sender_email,
    sum(case when not is_spam and not is_category then 1 else 0 end) as inbox_count,
    sum(case when is_spam then 1 else 0 end) as spam_count,
    sum(case when is_category then 1 else 0 end) as category_count,
    count(*) as total_count
from placements
{{ join_workspace_labels('workspace_id') }}
group by source, workspace_id, workspace_labels.workspace_label, test_id, placement_date, geo, esp, recipient_type, sender_email
