select
    workspace_id,
    id as tag_id,
    label as tag_label,
    description as tag_description,
    {{ utc_timestamp("timestamp_created") }} as created_at,
    {{ utc_timestamp("timestamp_updated") }} as updated_at
from {{ optional_source('instantly_tags', 'instantly_custom_tags') }} as tags
