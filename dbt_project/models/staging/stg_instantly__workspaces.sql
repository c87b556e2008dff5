select
    id as workspace_id,
    name as workspace_name,
    label as workspace_label,
    {{ utc_timestamp("timestamp_created") }} as created_at
from {{ optional_source('instantly_campaigns', 'instantly_workspaces') }} as workspaces
