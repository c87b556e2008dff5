select
    job_id,
    seed_address,
    provider,
    email_found,
    placement,
    spf_status,
    sender_ip,
    submission_result
from {{ optional_source('campaign_cleaner', 'campaign_cleaner_inbox_test_results') }} as results
