select
    job_id,
    seed_address,
    provider,
    email_found,
    placement,
    spf_status,
    sender_ip,
    submission_result
from {{ optional_source('campaign_cleaner', 'campaign_cleaner_inbox_test_results', {
    'job_id': 'varchar', 'seed_address': 'varchar', 'provider': 'varchar', 'email_found': 'boolean',
    'placement': 'varchar', 'spf_status': 'varchar', 'sender_ip': 'varchar',
    'submission_result': 'varchar'}) }} as results
