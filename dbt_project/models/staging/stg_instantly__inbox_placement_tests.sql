select
    workspace_id,
    id as test_id,
    name as test_name,
    cast(type as integer) as test_type_code,
    {{ instantly_test_type('type') }} as test_type,
    cast(status as integer) as status_code,
    {{ instantly_test_status('status') }} as status,
    {{ utc_timestamp("timestamp_created") }} as created_at,
    {{ utc_timestamp("timestamp_next_run") }} as next_run_at,
    _dlt_load_id as load_id
from {{ optional_source('instantly_placement', 'instantly_inbox_placement_tests') }} as tests
