-- Each mailbox's latest Instantly test run at each recipient ESP: the last UTC day a test sent
-- seeds of that ESP from the mailbox, where those seeds went, and whether the run is recent
-- enough to judge the mailbox by (the var `placement_test_window_days`).
with runs as (
    select
        workspace_id,
        sender_email,
        esp as recipient_esp,
        test_id,
        sent_date,
        {{ seed_send_counts() }}
    from {{ ref('int_inbox_placement__seed_sends') }}
    where sender_email <> 'Unknown'
    group by workspace_id, sender_email, esp, test_id, sent_date
),

ranked as (
    select
        runs.*,
        row_number() over (
            partition by runs.workspace_id, runs.sender_email, runs.recipient_esp order by runs.sent_date desc, runs.test_id desc
        ) as recency
    from runs
)

select
    ranked.workspace_id,
    workspace_labels.workspace_label,
    ranked.sender_email as mailbox_email,
    ranked.recipient_esp,
    ranked.test_id,
    ranked.sent_date as tested_date,
    ranked.sent_count,
    ranked.received_count,
    ranked.missing_count,
    ranked.inbox_count,
    ranked.spam_count,
    {{ rate_with_interval('ranked.inbox_count', 'ranked.sent_count', 'inbox_rate_of_sent') }},
    {{ safe_ratio('ranked.inbox_count', 'ranked.sent_count') }} >= {{ var('mailbox_ready_inbox_rate') }}
        as meets_threshold,
    {{ utc_today() }} - ranked.sent_date as test_age_days,
    {{ utc_today() }} - ranked.sent_date < {{ var('placement_test_window_days') }} as is_within_test_window
from ranked
{{ join_workspace_labels('ranked.workspace_id') }}
where ranked.recency = 1
