-- Every seed email Instantly's tests sent, per test, UTC day of the send, sending mailbox and
-- recipient cell: how many were sent, received, and where the received landed; the missing ones
-- (sent, never received) count against the rates of sent.
with counts as (
    select
        workspace_id,
        test_id,
        sent_date,
        sender_email,
        geo,
        esp,
        recipient_type,
        {{ seed_send_counts() }}
    from {{ ref('int_inbox_placement__seed_sends') }}
    group by workspace_id, test_id, sent_date, sender_email, geo, esp, recipient_type
)

select
    counts.workspace_id,
    workspace_labels.workspace_label,
    counts.test_id,
    counts.sent_date,
    counts.sender_email,
    counts.geo,
    counts.esp,
    counts.recipient_type,
    counts.sent_count,
    counts.received_count,
    counts.missing_count,
    counts.inbox_count,
    counts.category_count,
    counts.spam_count,
    {{ rate_with_interval('counts.inbox_count', 'counts.sent_count', 'inbox_rate_of_sent') }},
    {{ safe_ratio('counts.spam_count', 'counts.sent_count') }} as spam_rate_of_sent,
    {{ safe_ratio('counts.missing_count', 'counts.sent_count') }} as missing_rate,
    {{ safe_ratio('counts.inbox_count', 'counts.received_count') }} as inbox_rate
from counts
{{ join_workspace_labels('counts.workspace_id') }}
