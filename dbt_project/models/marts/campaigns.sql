select
    workspace_id,
    {{ workspace_label('workspace_id') }} as workspace_label,
    campaign_id,
    campaign_name,
    status,
    created_at,
    is_deleted
from {{ ref('int_campaigns__all') }}
