select
    id as campaign_id,
    name as campaign_name,
    cast(status as integer) as status_code,
    {{ instantly_campaign_status('status') }} as status,
    cast(timestamp_created as timestamp) as created_at,
    cast(timestamp_updated as timestamp) as updated_at,
    _dlt_load_id as load_id
from {{ source('instantly', 'instantly_campaigns') }}
