select
    workspace_id,
    lower(email_account) as email,
    cast(date as date) as activity_date,
    cast(sent as integer) as sent_count,
    cast(bounced as integer) as bounced_count,
    cast(contacted as integer) as contacted_count,
    cast(new_leads_contacted as integer) as new_leads_contacted_count,
    cast(opened as integer) as opened_count,
    cast(unique_opened as integer) as unique_opened_count,
    cast(replies as integer) as reply_count,
    cast(unique_replies as integer) as unique_reply_count,
    cast(replies_automatic as integer) as automatic_reply_count,
    cast(clicks as integer) as click_count,
    cast(unique_clicks as integer) as unique_click_count
from {{ optional_source('instantly_accounts', 'instantly_account_analytics_daily') }} as daily
