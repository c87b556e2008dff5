select
    workspace_id,
    id as mapping_id,
    tag_id,
    resource_id,
    cast(resource_type as integer) as resource_type_code,
    {{ utc_timestamp("timestamp_created") }} as created_at
from {{ optional_source('instantly_tags', 'instantly_custom_tag_mappings') }} as mappings
