select
    workspace_id,
    workspace_labels.workspace_label,
    test_id,
    test_name,
    test_type,
    status,
    created_at,
    next_run_at,
    is_deleted
from {{ ref('int_inbox_placement__tests') }}
{{ join_workspace_labels('workspace_id') }}
