{{ config(severity='warn') }}
-- Per campaign-day, the steps' sent adds up to the daily sent. Rows returned are failures.
with steps as (
    select
        campaign_id,
        activity_date,
        sum(sent_count) as sent_count
    from {{ ref('stg_instantly__campaign_analytics_steps') }}
    group by campaign_id, activity_date
)

select
    daily.campaign_id,
    daily.activity_date,
    daily.sent_count,
    steps.sent_count as steps_sent
from {{ ref('stg_instantly__campaign_analytics_daily') }} as daily
left join steps
    on daily.campaign_id = steps.campaign_id and daily.activity_date = steps.activity_date
where coalesce(steps.sent_count, 0) <> daily.sent_count
