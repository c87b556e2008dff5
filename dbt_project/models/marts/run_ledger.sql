-- Every run's outcome per workspace and family, and its dbt build: the history behind
-- `source_freshness`, for a BI tool's run chart or an alert on failures.
select
    run_id,
    workspace_label,
    workspace_id,
    source,
    family,
    status,
    started_at,
    ended_at,
    {{ dbt.datediff('started_at', 'ended_at', 'second') }} as duration_seconds,
    row_count,
    rows_by_table,
    request_count,
    retry_count,
    throttled_count,
    cause,
    warning_count,
    warnings
from {{ ref('stg_pipeline__run_ledger') }}
