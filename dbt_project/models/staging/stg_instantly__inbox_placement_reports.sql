select
    workspace_id,
    id as report_id,
    _dlt_id as report_key,
    test_id,
    {{ utc_timestamp("timestamp_created") }} as created_at,
    cast(timestamp_created_date as date) as created_date,
    domain,
    domain_ip,
    cast(domain_blacklist_count as integer) as domain_blacklist_count,
    cast(domain_ip_blacklist_count as integer) as domain_ip_blacklist_count,
    cast(spam_assassin_score as {{ dbt.type_float() }}) as spam_assassin_score,
    blacklist_report__is_blacklisted as is_blacklisted
from {{ optional_source('instantly_placement', 'instantly_inbox_placement_reports') }} as reports
