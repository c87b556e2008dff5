select
    workspace_id,
    campaign_id,
    cast(date as date) as activity_date,
    cast(sent as integer) as sent_count,
    cast(contacted as integer) as contacted_count,
    cast(new_leads_contacted as integer) as new_leads_contacted_count,
    cast(opened as integer) as opened_count,
    cast(unique_opened as integer) as unique_opened_count,
    cast(replies as integer) as reply_count,
    cast(unique_replies as integer) as unique_reply_count,
    cast(replies_automatic as integer) as automatic_reply_count,
    cast(clicks as integer) as click_count,
    cast(unique_clicks as integer) as unique_click_count,
    cast(opportunities as integer) as opportunity_count
from {{ optional_source('instantly_campaigns', 'instantly_campaign_analytics_daily') }} as source_rows
