-- Instantly inbox placement per sending account and UTC day: the received records each mailbox's
-- test emails produced, dated by the received record's UTC day.
select
    workspace_id,
    sender_email as email,
    placement_date,
    count(*) as received_count,
    sum(case when not is_spam and not is_category then 1 else 0 end) as inbox_count,
    sum(case when is_spam then 1 else 0 end) as spam_count
from {{ ref('int_inbox_placement__instantly_received') }}
where sender_email <> 'Unknown'
group by workspace_id, sender_email, placement_date
