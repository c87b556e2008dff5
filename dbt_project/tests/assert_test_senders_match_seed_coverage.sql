{{ config(severity='error') }}
-- Per test run and sender, placement_test_senders counts the seeds seed_coverage counts: a
-- sender that sent is never silent, and none goes unlisted. Rows returned are failures.
with coverage as (
    select
        workspace_id,
        test_id,
        sent_date,
        sender_email,
        sum(sent_count) as sent
    from {{ ref('seed_coverage') }}
    group by workspace_id, test_id, sent_date, sender_email
),

senders as (
    select * from {{ ref('placement_test_senders') }}
    where sent_count > 0
)

select
    coalesce(coverage.test_id, senders.test_id) as test_id,
    coverage.sender_email as coverage_sender_email,
    senders.sender_email as listed_sender_email
from coverage
full outer join senders
    on
        coverage.workspace_id = senders.workspace_id and coverage.test_id = senders.test_id
        and coverage.sent_date = senders.run_date and coverage.sender_email = senders.sender_email
where coalesce(coverage.sent, -1) <> coalesce(senders.sent_count, -1)
