select
    workspace_id,
    campaign_id,
    cast(date as date) as activity_date,
    cast(emails_sent_count as integer) as sent_count,
    cast(open_count as integer) as open_count,
    cast(reply_count as integer) as reply_count,
    cast(link_click_count as integer) as link_click_count,
    cast(bounced_count as integer) as bounced_count,
    cast(unsubscribed_count as integer) as unsubscribed_count,
    cast(completed_count as integer) as completed_count,
    cast(total_opportunities as integer) as opportunity_count,
    cast(total_interested as integer) as interested_count,
    cast(total_meeting_booked as integer) as meeting_booked_count,
    cast(total_closed as integer) as closed_count
from {{ optional_source('instantly_campaigns', 'instantly_campaign_analytics_overview') }} as source_rows
