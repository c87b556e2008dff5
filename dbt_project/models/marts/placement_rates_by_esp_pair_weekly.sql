-- Instantly seed placement per sending ESP × recipient ESP and UTC week (weeks start on Monday),
-- with the same pair's previous week beside it: sending infrastructure drives placement, and a
-- week holds enough seeds to compare where a day does not.
with weekly as (
    select
        workspace_id,
        cast({{ dbt.date_trunc('week', 'sent_date') }} as date) as week_start,
        sender_esp,
        esp as recipient_esp,
        {{ seed_send_counts() }},
        count(distinct test_id) as test_count
    from {{ ref('int_inbox_placement__seed_sends') }}
    group by 1, 2, 3, 4
),

rated as (
    select
        weekly.*,
        {{ rate_with_interval('inbox_count', 'sent_count', 'inbox_rate_of_sent') }},
        {{ safe_ratio('spam_count', 'sent_count') }} as spam_rate_of_sent,
        {{ safe_ratio('missing_count', 'sent_count') }} as missing_rate,
        {{ safe_ratio('inbox_count', 'received_count') }} as inbox_rate
    from weekly
)

select
    this_week.workspace_id,
    workspace_labels.workspace_label,
    this_week.week_start,
    this_week.sender_esp,
    this_week.recipient_esp,
    this_week.test_count,
    this_week.sent_count,
    this_week.received_count,
    this_week.missing_count,
    this_week.inbox_count,
    this_week.category_count,
    this_week.spam_count,
    this_week.inbox_rate_of_sent,
    this_week.inbox_rate_of_sent_low,
    this_week.inbox_rate_of_sent_high,
    this_week.spam_rate_of_sent,
    this_week.missing_rate,
    this_week.inbox_rate,
    previous_week.sent_count as previous_week_sent_count,
    previous_week.inbox_rate_of_sent as previous_week_inbox_rate_of_sent,
    previous_week.inbox_rate_of_sent_low as previous_week_inbox_rate_of_sent_low,
    previous_week.inbox_rate_of_sent_high as previous_week_inbox_rate_of_sent_high,
    previous_week.spam_rate_of_sent as previous_week_spam_rate_of_sent,
    previous_week.missing_rate as previous_week_missing_rate,
    this_week.inbox_rate_of_sent - previous_week.inbox_rate_of_sent as inbox_rate_of_sent_change,
    {{ beyond_noise('this_week.inbox_count', 'this_week.sent_count', 'previous_week.inbox_count', 'previous_week.sent_count') }}
        as inbox_rate_of_sent_change_is_beyond_noise
from rated as this_week
left join rated as previous_week
    on
        this_week.workspace_id = previous_week.workspace_id
        and this_week.sender_esp = previous_week.sender_esp
        and this_week.recipient_esp = previous_week.recipient_esp
        and previous_week.week_start = cast({{ dbt.dateadd('day', -7, 'this_week.week_start') }} as date)
{{ join_workspace_labels('this_week.workspace_id') }}
