-- Campaign Cleaner seed results with their job, on the shared ESP labels.
select
    results.job_id,
    results.seed_address,
    tests.test_name,
    tests.submitted_at,
    cast(tests.submitted_at as date) as submitted_date,
    tests.final_state,
    results.provider,
    {{ provider_esp('results.provider') }} as esp,
    results.email_found,
    case
        when results.placement = 'Inbox' then 'inbox'
        when results.placement = 'Spam' then 'spam'
        when results.placement = 'Pending' and tests.final_state = 'expired' then 'missing'
        when results.placement = 'Pending' then 'pending'
        else 'unknown'
    end as placement,
    results.placement as placement_raw,
    results.spf_status,
    results.sender_ip
from {{ ref('stg_campaign_cleaner__inbox_test_results') }} as results
inner join {{ ref('stg_campaign_cleaner__inbox_tests') }} as tests
    on results.job_id = tests.job_id
