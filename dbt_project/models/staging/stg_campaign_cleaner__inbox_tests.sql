select
    job_id,
    test_name,
    {{ utc_timestamp("submitted_date") }} as submitted_at,
    submitted_by,
    status,
    final_state,
    cast(summary__total_seeds as integer) as total_seeds,
    cast(summary__received as integer) as received_count,
    cast(summary__inbox as integer) as inbox_count,
    cast(summary__spam as integer) as spam_count,
    cast(summary__unknown_placement as integer) as unknown_placement_count,
    cast(summary__pending as integer) as pending_count,
    {{ utc_timestamp("first_polled_at") }} as first_polled_at,
    {{ utc_timestamp("last_polled_at") }} as last_polled_at
from {{ optional_source('campaign_cleaner', 'campaign_cleaner_inbox_tests') }} as tests
