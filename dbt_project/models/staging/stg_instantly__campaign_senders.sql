select
    campaigns.id as campaign_id,
    senders.value as sender_email
from {{ optional_source('instantly', 'instantly_campaigns__email_list') }} as senders
inner join {{ optional_source('instantly', 'instantly_campaigns') }} as campaigns
    on campaigns._dlt_id = senders._dlt_root_id
