-- Campaign Cleaner seeds that arrived (Inbox or Spam), on the ESP labels Instantly uses.
-- Campaign Cleaner has no geo or recipient type, and no receive time: the day is the test's
-- submission day (UTC). Its results name no sending account, and no Instantly workspace.
select
    cast(null as {{ dbt.type_string() }}) as workspace_id,
    results.job_id as test_id,
    cast(tests.submitted_at as date) as placement_date,
    'Unknown' as geo,
    {{ provider_esp('results.provider') }} as esp,
    'Unknown' as recipient_type,
    'Unknown' as sender_email,
    results.placement = 'Spam' as is_spam,
    false as is_category
from {{ ref('stg_campaign_cleaner__inbox_test_results') }} as results
inner join {{ ref('stg_campaign_cleaner__inbox_tests') }} as tests
    on results.job_id = tests.job_id
where results.placement in ('Inbox', 'Spam')
