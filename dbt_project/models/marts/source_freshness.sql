-- One row per workspace and family (and Campaign Cleaner): how its latest run ended, when it
-- last loaded, and the last UTC day its data reaches. A family whose latest run failed keeps its
-- last good rows in every mart: it is `stale` here, with the cause. One the workspace does not
-- allow (no add-on, a scope the key lacks) is `unsupported`: never an empty, healthy table.
-- And one row, family `run`, while the latest run was refused by the warehouse's lock (another
-- writer held it) and no load has started since: nothing of that run loaded.
with ledger as (
    select * from {{ ref('stg_pipeline__run_ledger') }}
    where family not in ('dbt', 'run')
),

refused as (
    select
        source,
        family,
        workspace_label,
        cast(null as {{ dbt.type_string() }}) as workspace_id,
        status as last_status,
        cause as last_cause,
        started_at as last_run_at,
        cast(null as {{ dbt.type_timestamp() }}) as last_ok_at,
        row_number() over (order by started_at desc, run_id desc) as recency
    from {{ ref('stg_pipeline__run_ledger') }}
    where
        status = 'refused'
        and started_at > coalesce((
            select max(started_at) from {{ ref('stg_pipeline__run_ledger') }}
            where family not in ('dbt', 'run')
        ), cast('1970-01-01' as {{ dbt.type_timestamp() }}
        ))
),

latest as (
    select
        *,
        row_number() over (partition by workspace_label, family order by started_at desc, run_id desc) as recency
    from ledger
),

last_ok as (
    select
        workspace_label,
        family,
        max(ended_at) as last_ok_at
    from ledger
    where status = 'ok'
    group by workspace_label, family
),

known_workspaces as (
    select
        workspace_label,
        max(workspace_id) as workspace_id
    from {{ ref('stg_instantly__workspaces') }}
    group by workspace_label
),

days as (
    select
        workspace_id,
        'campaigns' as family,
        max(activity_date) as last_loaded_day
    from {{ ref('stg_instantly__campaign_analytics_daily') }}
    group by workspace_id
    union all
    select
        workspace_id,
        'placement' as family,
        max(created_date) as last_loaded_day
    from {{ ref('stg_instantly__inbox_placement_records') }}
    group by workspace_id
    union all
    select
        workspace_id,
        'accounts' as family,
        max(activity_date) as last_loaded_day
    from {{ ref('stg_instantly__account_analytics_daily') }}
    group by workspace_id
    union all
    select
        workspace_id,
        'warmup' as family,
        max(warmup_date) as last_loaded_day
    from {{ ref('stg_instantly__warmup_analytics_daily') }}
    group by workspace_id
    union all
    select
        workspace_id,
        'vitals' as family,
        max(checked_date) as last_loaded_day
    from {{ ref('stg_instantly__domain_vitals') }}
    group by workspace_id
    union all
    select
        cast(null as {{ dbt.type_string() }}) as workspace_id,
        'campaign_cleaner' as family,
        max({{ utc_date('submitted_at') }}) as last_loaded_day
    from {{ ref('stg_campaign_cleaner__inbox_tests') }}
),

families as (
    select
        latest.source,
        latest.family,
        latest.workspace_label,
        coalesce(latest.workspace_id, known_workspaces.workspace_id) as workspace_id,
        latest.status as last_status,
        latest.cause as last_cause,
        latest.started_at as last_run_at,
        last_ok.last_ok_at
    from latest
    left join last_ok
        on latest.workspace_label = last_ok.workspace_label and latest.family = last_ok.family
    left join known_workspaces
        on latest.workspace_label = known_workspaces.workspace_label and latest.source = 'instantly'
    where latest.recency = 1
    union all
    select
        source,
        family,
        workspace_label,
        workspace_id,
        last_status,
        last_cause,
        last_run_at,
        last_ok_at
    from refused
    where recency = 1
)

select
    families.source,
    families.family,
    families.workspace_label,
    families.workspace_id,
    families.last_status,
    families.last_cause,
    families.last_run_at,
    families.last_ok_at,
    days.last_loaded_day,
    case
        when families.last_status = 'ok' then 'fresh'
        when families.last_status = 'unsupported' then 'unsupported'
        when families.last_status = 'refused' then 'refused'
        when families.last_ok_at is not null or days.last_loaded_day is not null then 'stale'
        else 'never loaded'
    end as freshness_status,
    families.last_status in ('failed', 'skipped') as is_stale
from families
left join days
    on
        families.family = days.family
        and coalesce(days.workspace_id, '') = coalesce(families.workspace_id, '')
