-- Campaign Cleaner seed tests: where the seeds landed, per test and ESP.
select
    test_name,
    job_id,
    final_state,
    esp,
    count(*) as seeds,
    sum(case when placement = 'inbox' then 1 else 0 end) as inbox,
    sum(case when placement = 'spam' then 1 else 0 end) as spam,
    sum(case when placement in ('pending', 'missing') then 1 else 0 end) as not_arrived
from analytics.seed_test_results
group by test_name, job_id, final_state, esp
order by test_name, esp
