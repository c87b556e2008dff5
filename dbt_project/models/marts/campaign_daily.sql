-- One row per campaign and UTC day from its first to its last active day (days without
-- activity included, with zeros; a day of bounces or CRM updates only is active), daily and
-- overview metrics, and rates.
with daily as (
    select * from {{ ref('stg_instantly__campaign_analytics_daily') }}
),

overview as (
    select * from {{ ref('stg_instantly__campaign_analytics_overview') }}
),

active_days as (
    {#- Days with sends or opens (daily), and days with only bounces, unsubscribes or CRM updates,
        such as a completed campaign's late "meeting booked" (overview). -#}
    select
        workspace_id,
        campaign_id,
        activity_date
    from daily
    union
    select
        workspace_id,
        campaign_id,
        activity_date
    from overview
),

active as (
    select
        workspace_id,
        campaign_id,
        min(activity_date) as first_day,
        max(activity_date) as last_day
    from active_days
    group by workspace_id, campaign_id
),

{%- set loaded_days -%}
    (select activity_date from {{ ref('stg_instantly__campaign_analytics_daily') }}
     union all select activity_date from {{ ref('stg_instantly__campaign_analytics_overview') }}) as loaded_days
{%- endset %}

calendar as (
    {#- One placeholder day when nothing is loaded yet: no campaign is active on it. -#}
    {{ dbt.date_spine(
        "day",
        "coalesce((select min(activity_date) from " ~ loaded_days ~ "), cast('1970-01-01' as date))",
        dbt.dateadd("day", 1, "coalesce((select max(activity_date) from " ~ loaded_days ~ "), cast('1970-01-01' as date))")
    ) }}
),

campaign_days as (
    select
        active.workspace_id,
        active.campaign_id,
        cast(calendar.date_day as date) as activity_date
    from active
    inner join calendar
        on cast(calendar.date_day as date) between active.first_day and active.last_day
)

select
    campaign_days.workspace_id,
    workspace_labels.workspace_label,
    campaign_days.campaign_id,
    campaign_days.activity_date,
    coalesce(daily.sent_count, 0) as sent_count,
    coalesce(daily.contacted_count, 0) as contacted_count,
    coalesce(daily.new_leads_contacted_count, 0) as new_leads_contacted_count,
    coalesce(daily.opened_count, 0) as opened_count,
    coalesce(daily.unique_opened_count, 0) as unique_opened_count,
    coalesce(daily.reply_count, 0) as reply_count,
    coalesce(daily.unique_reply_count, 0) as unique_reply_count,
    coalesce(daily.automatic_reply_count, 0) as automatic_reply_count,
    coalesce(daily.click_count, 0) as click_count,
    coalesce(daily.unique_click_count, 0) as unique_click_count,
    coalesce(daily.opportunity_count, 0) as opportunity_count,
    coalesce(overview.bounced_count, 0) as bounced_count,
    coalesce(overview.unsubscribed_count, 0) as unsubscribed_count,
    coalesce(overview.interested_count, 0) as interested_count,
    coalesce(overview.meeting_booked_count, 0) as meeting_booked_count,
    coalesce(overview.closed_count, 0) as closed_count,
    {{ safe_ratio('daily.unique_reply_count', 'daily.sent_count') }} as reply_rate,
    {{ safe_ratio('daily.unique_opened_count', 'daily.sent_count') }} as open_rate,
    {{ safe_ratio('daily.unique_click_count', 'daily.sent_count') }} as click_rate,
    {{ safe_ratio('overview.bounced_count', 'daily.sent_count') }} as bounce_rate
from campaign_days
left join daily
    on campaign_days.campaign_id = daily.campaign_id and campaign_days.activity_date = daily.activity_date
left join overview
    on campaign_days.campaign_id = overview.campaign_id and campaign_days.activity_date = overview.activity_date
{{ join_workspace_labels('campaign_days.workspace_id') }}
