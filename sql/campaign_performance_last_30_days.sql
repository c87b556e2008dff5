-- Sent, reply, open, click and bounce rates per campaign over the last 30 UTC days.
select
    campaigns.campaign_name,
    campaigns.is_deleted,
    daily.campaign_id,
    sum(daily.sent_count) as sent_count,
    sum(daily.unique_reply_count) as unique_reply_count,
    round(cast(sum(daily.unique_reply_count) as numeric) / nullif(sum(daily.sent_count), 0), 4) as reply_rate,
    round(cast(sum(daily.unique_opened_count) as numeric) / nullif(sum(daily.sent_count), 0), 4) as open_rate,
    round(cast(sum(daily.unique_click_count) as numeric) / nullif(sum(daily.sent_count), 0), 4) as click_rate,
    round(cast(sum(daily.bounced_count) as numeric) / nullif(sum(daily.sent_count), 0), 4) as bounce_rate
from analytics.campaign_daily as daily
inner join analytics.campaigns as campaigns on campaigns.campaign_id = daily.campaign_id
where daily.activity_date >= cast(current_timestamp at time zone 'UTC' as date) - interval '30 days'
group by campaigns.campaign_name, campaigns.is_deleted, daily.campaign_id
order by sent_count desc
