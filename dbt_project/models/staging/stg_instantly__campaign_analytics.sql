select
    workspace_id,
    campaign_id,
    campaign_name,
    cast(campaign_status as integer) as status_code,
    {{ instantly_campaign_status('campaign_status') }} as status,
    cast(leads_count as integer) as leads_count,
    cast(contacted_count as integer) as contacted_count,
    cast(emails_sent_count as integer) as emails_sent_count,
    cast(open_count as integer) as leads_opened_count,
    cast(reply_count as integer) as reply_count,
    cast(link_click_count as integer) as link_click_count,
    cast(bounced_count as integer) as bounced_count,
    cast(unsubscribed_count as integer) as unsubscribed_count,
    cast(completed_count as integer) as completed_count,
    cast(total_opportunities as integer) as opportunity_count,
    cast(total_opportunity_value as double precision) as opportunity_value
from {{ optional_source('instantly_campaigns', 'instantly_campaign_analytics') }} as source_rows
