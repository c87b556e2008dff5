-- Every inbox placement test ever listed. A test is deleted when the latest test-list load did
-- of its workspace did not see it (the same rule as int_campaigns__all: "deleted upstream" is decided here only).
with listed as (
    select * from {{ ref('stg_instantly__inbox_placement_tests') }}
),

latest_list as (
    select
        workspace_id,
        max(load_id) as load_id
    from listed
    group by workspace_id
)

select
    listed.workspace_id,
    listed.test_id,
    listed.test_name,
    listed.test_type,
    listed.status,
    listed.created_at,
    listed.next_run_at,
    listed.load_id < latest_list.load_id as is_deleted
from listed
inner join latest_list on listed.workspace_id = latest_list.workspace_id
