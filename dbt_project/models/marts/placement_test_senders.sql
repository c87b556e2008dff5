-- Per test run (a UTC day the test sent seed emails) and sender: `ok` when a sender the test
-- lists sent, `silent` when it lists a sender that sent nothing that day, `foreign` when emails
-- came from a sender the test does not list.
with runs as (
    select
        workspace_id,
        test_id,
        sent_date,
        sender_email,
        count(*) as sent_count,
        sum(case when is_received then 1 else 0 end) as received_count
    from {{ ref('int_inbox_placement__seed_sends') }}
    group by workspace_id, test_id, sent_date, sender_email
),

run_days as (
    select distinct
        workspace_id,
        test_id,
        sent_date
    from runs
),

configured as (
    select distinct
        test_id,
        lower(sender_email) as sender_email
    from {{ ref('stg_instantly__inbox_placement_test_senders') }}
),

expected as (
    select
        run_days.workspace_id,
        run_days.test_id,
        run_days.sent_date,
        configured.sender_email
    from run_days
    inner join configured on run_days.test_id = configured.test_id
),

senders as (
    select
        coalesce(expected.workspace_id, runs.workspace_id) as workspace_id,
        coalesce(expected.test_id, runs.test_id) as test_id,
        coalesce(expected.sent_date, runs.sent_date) as run_date,
        coalesce(expected.sender_email, runs.sender_email) as sender_email,
        expected.sender_email is not null as is_configured,
        coalesce(runs.sent_count, 0) as sent_count,
        coalesce(runs.received_count, 0) as received_count
    from expected
    full outer join runs
        on
            expected.test_id = runs.test_id
            and expected.sent_date = runs.sent_date
            and expected.sender_email = runs.sender_email
)

select
    senders.workspace_id,
    workspace_labels.workspace_label,
    senders.test_id,
    senders.run_date,
    senders.sender_email,
    senders.is_configured,
    senders.sent_count,
    senders.received_count,
    case
        when senders.is_configured and senders.sent_count > 0 then 'ok'
        when senders.is_configured then 'silent'
        else 'foreign'
    end as sender_status
from senders
{{ join_workspace_labels('senders.workspace_id') }}
