select
    _dlt_root_id as report_key,
    blacklist,
    is_listed,
    test_type
from {{ optional_source('instantly_placement', 'instantly_inbox_placement_reports__blacklist_report__details') }} as details
