-- Every campaign id the workspace knows: from the campaign list and from analytics (which keeps
-- serving campaigns deleted from the list). A campaign is deleted when the latest campaign-list
-- load of its workspace did not see it (each workspace loads on its own).
with listed as (
    select
        workspace_id,
        campaign_id,
        campaign_name,
        status,
        created_at,
        load_id
    from {{ ref('stg_instantly__campaigns') }}
),

latest_list as (
    select
        workspace_id,
        max(load_id) as load_id
    from listed
    group by workspace_id
),

reported as (
    select
        workspace_id,
        campaign_id,
        campaign_name,
        status
    from {{ ref('stg_instantly__campaign_analytics') }}
),

ids as (
    select
        workspace_id,
        campaign_id
    from listed
    union
    select
        workspace_id,
        campaign_id
    from reported
    union
    select distinct
        workspace_id,
        campaign_id
    from {{ ref('stg_instantly__campaign_analytics_daily') }}
)

select
    ids.workspace_id,
    ids.campaign_id,
    coalesce(listed.campaign_name, reported.campaign_name) as campaign_name,
    coalesce(listed.status, reported.status, 'Unknown') as status,
    listed.created_at,
    listed.campaign_id is null or listed.load_id < latest_list.load_id as is_deleted
from ids
left join listed on ids.campaign_id = listed.campaign_id
left join reported on ids.campaign_id = reported.campaign_id
left join latest_list on ids.workspace_id = latest_list.workspace_id
