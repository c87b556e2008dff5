select
    job_id,
    test_name,
    cast(submitted_date as timestamp) as submitted_at,
    submitted_by,
    status,
    final_state,
    cast(summary__total_seeds as integer) as total_seeds,
    cast(summary__received as integer) as received_count,
    cast(summary__inbox as integer) as inbox_count,
    cast(summary__spam as integer) as spam_count,
    cast(summary__unknown_placement as integer) as unknown_placement_count,
    cast(summary__pending as integer) as pending_count,
    cast(first_polled_at as timestamp) as first_polled_at,
    cast(last_polled_at as timestamp) as last_polled_at
from {{ optional_source('campaign_cleaner', 'campaign_cleaner_inbox_tests', {
    'job_id': 'varchar', 'test_name': 'varchar', 'submitted_date': 'varchar', 'submitted_by': 'varchar',
    'status': 'varchar', 'final_state': 'varchar', 'summary__total_seeds': 'bigint',
    'summary__received': 'bigint', 'summary__inbox': 'bigint', 'summary__spam': 'bigint',
    'summary__unknown_placement': 'bigint', 'summary__pending': 'bigint',
    'first_polled_at': 'varchar', 'last_polled_at': 'varchar'}) }} as tests
