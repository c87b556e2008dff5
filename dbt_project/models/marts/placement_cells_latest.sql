-- Each placement test's latest run, cell by cell (geo / ESP / recipient type), with the
-- certainty of its inbox rate, and the cells that rank worst in the run. The review's worst
-- cells and the worst-cell alert read it; a cell with fewer seeds than `verdict_min_seeds` is
-- listed but never ranked.
with instantly_runs as (
    select
        workspace_id,
        test_id,
        max(sent_date) as run_date
    from {{ ref('seed_coverage') }}
    group by workspace_id, test_id
),

instantly_cells as (
    select
        'instantly' as source,
        coverage.workspace_id,
        coverage.workspace_label,
        coverage.test_id,
        coverage.sent_date as run_date,
        coverage.geo,
        coverage.esp,
        coverage.recipient_type,
        'sent' as seeds_counted,
        sum(coverage.sent_count) as seed_count,
        sum(coverage.inbox_count) as inbox_count
    from {{ ref('seed_coverage') }} as coverage
    inner join instantly_runs
        on
            coverage.workspace_id = instantly_runs.workspace_id
            and coverage.test_id = instantly_runs.test_id
            and coverage.sent_date = instantly_runs.run_date
    group by
        coverage.workspace_id, coverage.workspace_label, coverage.test_id, coverage.sent_date,
        coverage.geo, coverage.esp, coverage.recipient_type
),

cleaner_runs as (
    select
        test_id,
        max(placement_date) as run_date
    from {{ ref('inbox_placement') }}
    where source = 'campaign_cleaner'
    group by test_id
),

cleaner_cells as (
    select
        'campaign_cleaner' as source,
        cast(null as {{ dbt.type_string() }}) as workspace_id,
        cast(null as {{ dbt.type_string() }}) as workspace_label,
        placement.test_id,
        placement.placement_date as run_date,
        placement.geo,
        placement.esp,
        placement.recipient_type,
        'received' as seeds_counted,
        sum(placement.total_count) as seed_count,
        sum(placement.inbox_count) as inbox_count
    from {{ ref('inbox_placement') }} as placement
    inner join cleaner_runs
        on
            placement.test_id = cleaner_runs.test_id
            and placement.placement_date = cleaner_runs.run_date
    where placement.source = 'campaign_cleaner'
    group by placement.test_id, placement.placement_date, placement.geo, placement.esp, placement.recipient_type
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
        {{ safe_ratio('cells.inbox_count', 'cells.seed_count') }} as inbox_rate,
        {{ wilson_bound('cells.inbox_count', 'cells.seed_count', 'low') }} as inbox_rate_low,
        {{ wilson_bound('cells.inbox_count', 'cells.seed_count', 'high') }} as inbox_rate_high,
        cells.seed_count >= {{ var('verdict_min_seeds') }} as has_enough_seeds
    from (
        select * from instantly_cells
        union all
        select * from cleaner_cells
    ) as cells
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
