select
    workspace_id,
    test_id,
    cast(date as date) as stats_date,
    cast(recipient_geo as integer) as recipient_geo_code,
    {{ instantly_geo('recipient_geo') }} as recipient_geo,
    cast(recipient_type as integer) as recipient_type_code,
    {{ instantly_recipient_type('recipient_type') }} as recipient_type,
    cast(recipient_esp as integer) as recipient_esp_code,
    {{ instantly_esp('recipient_esp') }} as recipient_esp,
    cast(count as integer) as total_count,
    cast(inbox_count as integer) as inbox_count,
    cast(spam_count as integer) as spam_count,
    cast(category_count as integer) as category_count
from {{ optional_source('instantly_placement', 'instantly_inbox_placement_stats') }} as stats
