{{ config(severity='error') }}
-- Per workspace and week, the ESP pairs add up to seed_coverage's seeds sent, received and in
-- the inbox: splitting by sending ESP neither loses nor double-counts a seed. Rows returned are
-- failures.
with pairs as (
    select
        workspace_id,
        week_start,
        sum(sent_count) as sent,
        sum(received_count) as received,
        sum(inbox_count) as inbox
    from {{ ref('placement_rates_by_esp_pair_weekly') }}
    group by workspace_id, week_start
),

coverage as (
    select
        workspace_id,
        cast({{ dbt.date_trunc('week', 'sent_date') }} as date) as week_start,
        sum(sent_count) as sent,
        sum(received_count) as received,
        sum(inbox_count) as inbox
    from {{ ref('seed_coverage') }}
    group by workspace_id, week_start
)

select
    coalesce(pairs.workspace_id, coverage.workspace_id) as workspace_id,
    coalesce(pairs.week_start, coverage.week_start) as week_start,
    pairs.sent as pairs_sent,
    coverage.sent as coverage_sent
from pairs
full outer join coverage on pairs.workspace_id = coverage.workspace_id and pairs.week_start = coverage.week_start
where
    coalesce(pairs.sent, -1) <> coalesce(coverage.sent, -1)
    or coalesce(pairs.received, -1) <> coalesce(coverage.received, -1)
    or coalesce(pairs.inbox, -1) <> coalesce(coverage.inbox, -1)
