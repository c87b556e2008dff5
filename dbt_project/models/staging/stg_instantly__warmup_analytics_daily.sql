select
    workspace_id,
    lower(email) as email,
    cast(date as date) as warmup_date,
    cast(sent as integer) as sent_count,
    cast(landed_inbox as integer) as landed_inbox_count,
    cast(landed_spam as integer) as landed_spam_count,
    cast(received as integer) as received_count
from {{ optional_source('instantly_warmup', 'instantly_warmup_analytics_daily') }} as warmup
