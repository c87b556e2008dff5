select
    id as test_id,
    name as test_name,
    cast(type as integer) as test_type_code,
    {{ instantly_test_type('type') }} as test_type,
    cast(status as integer) as status_code,
    {{ instantly_test_status('status') }} as status,
    cast(timestamp_created as timestamp) as created_at,
    cast(timestamp_next_run as timestamp) as next_run_at,
    _dlt_load_id as load_id
from {{ optional_source('instantly', 'instantly_inbox_placement_tests', {
    'id': 'varchar', 'name': 'varchar', 'type': 'bigint', 'status': 'bigint',
    'timestamp_created': 'varchar', 'timestamp_next_run': 'varchar', '_dlt_load_id': 'varchar'}) }} as tests
