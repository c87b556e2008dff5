select
    workspace_id,
    workspace_labels.workspace_label,
    campaign_id,
    campaign_name,
    status,
    created_at,
    is_deleted
from {{ ref('int_campaigns__all') }}
{{ join_workspace_labels('workspace_id') }}
