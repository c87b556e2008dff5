-- Each placement test's latest run, cell by cell (geo / ESP / recipient type), with the
-- certainty of its inbox rate, and the cells that rank worst in the run. The review's worst
-- cells and the worst-cell alert read it; a cell with fewer seeds than `verdict_min_seeds` is
-- listed but never ranked.
with seeds as (
    select
        'instantly' as source,
        workspace_id,
        workspace_label,
        test_id,
        sent_date as run_date,
        geo,
        esp,
        recipient_type,
        'sent' as seeds_counted,
        sent_count as seed_count,
        inbox_count
    from {{ ref('seed_coverage') }}
    union all
    select
        'campaign_cleaner' as source,
        cast(null as {{ dbt.type_string() }}) as workspace_id,
        cast(null as {{ dbt.type_string() }}) as workspace_label,
        test_id,
        placement_date as run_date,
        geo,
        esp,
        recipient_type,
        'received' as seeds_counted,
        total_count as seed_count,
        inbox_count
    from {{ ref('inbox_placement') }}
    where source = 'campaign_cleaner'
),

latest_runs as (
    select
        source,
        workspace_id,
        test_id,
        max(run_date) as run_date
    from seeds
    group by source, workspace_id, test_id
),

cells as (
    select
        seeds.source,
        seeds.workspace_id,
        seeds.workspace_label,
        seeds.test_id,
        seeds.run_date,
        seeds.geo,
        seeds.esp,
        seeds.recipient_type,
        seeds.seeds_counted,
        sum(seeds.seed_count) as seed_count,
        sum(seeds.inbox_count) as inbox_count
    from seeds
    inner join latest_runs
        on
            seeds.source = latest_runs.source
            and seeds.workspace_id is not distinct from latest_runs.workspace_id
            and seeds.test_id = latest_runs.test_id
            and seeds.run_date = latest_runs.run_date
    group by
        seeds.source, seeds.workspace_id, seeds.workspace_label, seeds.test_id, seeds.run_date,
        seeds.geo, seeds.esp, seeds.recipient_type, seeds.seeds_counted
),

test_names as (
    select
        test_id,
        max(test_name) as test_name
    from {{ ref('inbox_placement_tests') }}
    group by test_id
    union all
    select
        job_id as test_id,
        max(test_name) as test_name
    from {{ ref('seed_test_results') }}
    group by job_id
),

rated as (
    select
        cells.*,
        {{ rate_with_interval('cells.inbox_count', 'cells.seed_count', 'inbox_rate') }},
        cells.seed_count >= {{ var('verdict_min_seeds') }} as has_enough_seeds
    from cells
    where cells.seed_count > 0
)

select
    rated.source,
    rated.workspace_id,
    rated.workspace_label,
    rated.test_id,
    coalesce(test_names.test_name, rated.test_id) as test_name,
    rated.run_date,
    rated.geo,
    rated.esp,
    rated.recipient_type,
    rated.seeds_counted,
    rated.seed_count,
    rated.inbox_count,
    rated.inbox_rate,
    rated.inbox_rate_low,
    rated.inbox_rate_high,
    rated.has_enough_seeds,
    {{ var('verdict_min_seeds') }} as verdict_min_seeds,
    case
        when rated.has_enough_seeds
            then row_number() over (
                partition by rated.source, rated.workspace_id, rated.test_id, rated.has_enough_seeds
                order by rated.inbox_rate_high, rated.inbox_rate, rated.geo, rated.esp, rated.recipient_type
            )
    end as worst_rank_in_run
from rated
left join test_names on rated.test_id = test_names.test_id
