-- Campaign outcomes per custom tag (client or offer) over the last 30 UTC days. A campaign with
-- two tags counts under each: do not add the rows up across tags.
select
    tags.workspace_label,
    tags.tag_label,
    count(distinct daily.campaign_id) as campaign_count,
    sum(daily.sent_count) as sent_count,
    sum(daily.unique_reply_count) as unique_reply_count,
    round(cast(sum(daily.unique_reply_count) as numeric) / nullif(sum(daily.sent_count), 0), 4) as reply_rate,
    round(cast(sum(daily.bounced_count) as numeric) / nullif(sum(daily.sent_count), 0), 4) as bounce_rate
from analytics.campaign_daily as daily
inner join analytics.custom_tag_assignments as tags
    on tags.workspace_id = daily.workspace_id and tags.campaign_id = daily.campaign_id
where daily.activity_date >= cast(current_timestamp at time zone 'UTC' as date) - interval '30 days'
group by tags.workspace_label, tags.tag_label
order by tags.workspace_label, sent_count desc
