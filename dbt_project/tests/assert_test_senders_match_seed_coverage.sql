{{ config(severity='warn') }}
-- Per test run and sender, placement_test_senders counts the seeds seed_coverage counts: a
-- sender that sent is never silent, and none goes unlisted. Rows returned are failures.
with coverage as (
    select workspace_id, test_id, sent_date, sender_email, sum(sent_count) as sent
    from {{ ref('seed_coverage') }}
    group by workspace_id, test_id, sent_date, sender_email
)

select coalesce(coverage.test_id, senders.test_id) as test_id, coverage.sender_email, senders.sender_email
from coverage
full outer join (select * from {{ ref('placement_test_senders') }} where sent_count > 0) as senders
    on senders.workspace_id = coverage.workspace_id and senders.test_id = coverage.test_id
    and senders.run_date = coverage.sent_date and senders.sender_email = coverage.sender_email
where coalesce(coverage.sent, -1) <> coalesce(senders.sent_count, -1)
