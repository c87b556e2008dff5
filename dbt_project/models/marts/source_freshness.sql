-- Per source: the last UTC day its data reaches and the last run that loaded it.
with runs as (
    select source, max(loaded_at) as last_run_at
    from {{ ref('stg_dlt__loads') }}
    where status_code = 0
    group by source
),

days as (
    select 'instantly' as source, max(activity_date) as last_loaded_day
    from {{ ref('stg_instantly__campaign_analytics_daily') }}
    union all
    select 'instantly', max(created_date) from {{ ref('stg_instantly__inbox_placement_records') }}
    union all
    select 'instantly', max(activity_date) from {{ ref('stg_instantly__account_analytics_daily') }}
    union all
    select 'campaign_cleaner', max(cast(submitted_at as date)) from {{ ref('stg_campaign_cleaner__inbox_tests') }}
),

sources as (
    select source from runs
    union
    select source from days where last_loaded_day is not null
)

select
    sources.source,
    (select max(days.last_loaded_day) from days where days.source = sources.source) as last_loaded_day,
    runs.last_run_at
from sources
left join runs on runs.source = sources.source
