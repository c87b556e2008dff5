select
    campaigns.id as campaign_id,
    schedules.name as schedule_name,
    schedules.timezone,
    schedules.timing__from as sends_from,
    schedules.timing__to as sends_to
from {{ optional_source('instantly', 'instantly_campaigns__campaign_schedule__schedules') }} as schedules
inner join {{ optional_source('instantly', 'instantly_campaigns') }} as campaigns
    on campaigns._dlt_id = schedules._dlt_root_id
