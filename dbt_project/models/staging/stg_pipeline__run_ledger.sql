select
    run_id,
    workspace_label,
    workspace_id,
    source,
    family,
    status,
    {{ utc_timestamp('started_at') }} as started_at,
    {{ utc_timestamp('ended_at') }} as ended_at,
    cast(row_count as bigint) as row_count,
    rows_by_table,
    cast(request_count as bigint) as request_count,
    cast(retry_count as bigint) as retry_count,
    cast(throttled_count as bigint) as throttled_count,
    cause,
    cast(warning_count as bigint) as warning_count,
    warnings
from {{ optional_source('pipeline', 'run_ledger') }} as ledger
