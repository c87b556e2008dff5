{{ config(severity='error') }}
-- Per Instantly test, the seed emails seed_coverage counts as received are the received records
-- inbox_placement counts (a receipt that answers no send would be in one and not the other).
-- Per test, not per day: a receipt after midnight counts on its send's day in seed_coverage and
-- on its own day in inbox_placement. Rows returned are failures.
with coverage as (
    select
        workspace_id,
        test_id,
        sum(received_count) as received_count
    from {{ ref('seed_coverage') }}
    group by workspace_id, test_id
),

placement as (
    select
        workspace_id,
        test_id,
        sum(total_count) as received_count
    from {{ ref('inbox_placement') }}
    where source = 'instantly'
    group by workspace_id, test_id
)

select
    coalesce(coverage.test_id, placement.test_id) as test_id,
    coverage.received_count as coverage_received,
    placement.received_count as placement_received
from coverage
full outer join placement
    on coverage.workspace_id = placement.workspace_id and coverage.test_id = placement.test_id
where coalesce(coverage.received_count, 0) <> coalesce(placement.received_count, 0)
