select
    workspace_id,
    id as campaign_id,
    name as campaign_name,
    cast(status as integer) as status_code,
    {{ instantly_campaign_status('status') }} as status,
    {{ utc_timestamp("timestamp_created") }} as created_at,
    {{ utc_timestamp("timestamp_updated") }} as updated_at,
    _dlt_load_id as load_id
from {{ optional_source('instantly_campaigns', 'instantly_campaigns') }} as source_rows
