select
    workspace_id,
    region,
    sub_region,
    type as recipient_type,
    esp
from {{ optional_source('instantly', 'instantly_esp_options') }} as options
