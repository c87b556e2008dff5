{{ config(severity='warn') }}
-- Every tag mapping loaded is one row of custom_tag_assignments, and every row's tag is listed.
-- Rows returned are failures.
select
    mappings.mapping_id,
    'mapping missing from the bridge' as problem
from {{ ref('stg_instantly__custom_tag_mappings') }} as mappings
left join {{ ref('custom_tag_assignments') }} as bridge
    on mappings.workspace_id = bridge.workspace_id and mappings.mapping_id = bridge.mapping_id
where bridge.mapping_id is null

union all

select
    mapping_id,
    'tag not listed' as problem
from {{ ref('custom_tag_assignments') }}
where tag_label is null
