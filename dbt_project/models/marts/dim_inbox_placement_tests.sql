-- Every inbox placement test ever listed; one gone from the latest list is flagged deleted.
with latest as (
    select max(load_id) as load_id from {{ ref('stg_instantly__inbox_placement_tests') }}
)

select
    tests.test_id,
    tests.test_name,
    tests.test_type,
    tests.status,
    tests.created_at,
    tests.next_run_at,
    tests.load_id < latest.load_id as is_deleted
from {{ ref('stg_instantly__inbox_placement_tests') }} as tests
cross join latest
