{{ config(severity='warn') }}
-- Per test, UTC day and (geo, type, ESP) cell, Instantly's received per-email records count the
-- same inbox, spam and category as the stats endpoint. Rows returned are failures.
with records as (
    select
        test_id,
        placement_date,
        geo,
        esp,
        recipient_type,
        count(*) as total_count,
        sum(case when is_spam then 1 else 0 end) as spam_count,
        sum(case when is_category then 1 else 0 end) as category_count
    from {{ ref('int_inbox_placement__instantly_received') }}
    group by test_id, placement_date, geo, esp, recipient_type
),

stats as (
    select
        test_id,
        stats_date as placement_date,
        recipient_geo as geo,
        recipient_esp as esp,
        recipient_type,
        total_count,
        spam_count,
        category_count
    from {{ ref('stg_instantly__inbox_placement_stats') }}
)

select
    records.*,
    stats.total_count as stats_total
from records
full outer join stats
    on
        records.test_id = stats.test_id
        and records.placement_date = stats.placement_date
        and records.geo = stats.geo
        and records.esp = stats.esp
        and records.recipient_type = stats.recipient_type
where
    records.total_count is null
    or stats.total_count is null
    or records.total_count <> stats.total_count
    or records.spam_count <> stats.spam_count
    or records.category_count <> stats.category_count
