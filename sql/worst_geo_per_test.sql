-- For each inbox placement test, the recipient geo where the fewest seed emails reached the inbox.
with by_geo as (
    select
        test_id,
        geo,
        sum(total_count) as total_count,
        cast(sum(inbox_count) as numeric) / nullif(sum(total_count), 0) as inbox_rate
    from analytics.placement_rates_by_geo
    where source = 'instantly'
    group by test_id, geo
),

ranked as (
    select
        by_geo.*,
        row_number() over (partition by test_id order by inbox_rate asc, geo) as rank_worst
    from by_geo
)

select
    tests.test_name,
    ranked.test_id,
    ranked.geo as worst_geo,
    ranked.total_count,
    round(ranked.inbox_rate, 4) as inbox_rate
from ranked
left join analytics.inbox_placement_tests as tests on tests.test_id = ranked.test_id
where ranked.rank_worst = 1
order by ranked.inbox_rate
