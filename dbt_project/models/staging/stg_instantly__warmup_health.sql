select
    workspace_id,
    lower(email) as email,
    cast(date as date) as health_date,
    cast(health_score as {{ dbt.type_float() }}) as health_score,
    health_score_label,
    cast(sent as integer) as sent_count,
    cast(received as integer) as received_count,
    cast(landed_inbox as integer) as landed_inbox_count,
    cast(landed_spam as integer) as landed_spam_count
from {{ optional_source('instantly_warmup', 'instantly_warmup_health') }} as health
