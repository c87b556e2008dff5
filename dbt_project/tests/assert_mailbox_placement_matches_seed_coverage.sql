{{ config(severity='error') }}
-- Each mailbox's latest test at an ESP (mailbox_placement_latest) counts what seed_coverage
-- counts for that test, UTC day, sender and ESP; and every sender with seeds in seed_coverage
-- has a row in mailbox_readiness. Rows returned are failures.
with coverage as (
    select
        workspace_id,
        test_id,
        sent_date,
        sender_email,
        esp,
        sum(sent_count) as sent,
        sum(inbox_count) as inbox
    from {{ ref('seed_coverage') }}
    group by workspace_id, test_id, sent_date, sender_email, esp
)

select
    latest.workspace_id,
    latest.mailbox_email,
    latest.recipient_esp
from {{ ref('mailbox_placement_latest') }} as latest
left join coverage
    on
        latest.workspace_id = coverage.workspace_id and latest.test_id = coverage.test_id
        and latest.tested_date = coverage.sent_date and latest.mailbox_email = coverage.sender_email
        and latest.recipient_esp = coverage.esp
where coverage.sent is null or coverage.sent <> latest.sent_count or coverage.inbox <> latest.inbox_count

union all

select
    coverage.workspace_id,
    coverage.sender_email,
    null as recipient_esp
from coverage
left join {{ ref('mailbox_readiness') }} as readiness
    on coverage.workspace_id = readiness.workspace_id and coverage.sender_email = readiness.mailbox_email
where readiness.mailbox_email is null and coverage.sender_email <> 'Unknown'
