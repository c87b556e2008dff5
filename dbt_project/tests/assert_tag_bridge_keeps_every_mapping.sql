{{ config(severity='error') }}
-- Our join: every tag mapping loaded is exactly one row of custom_tag_assignments (none lost,
-- none doubled). A mapping whose tag is not listed is the vendor's data, and only warns
-- (assert_tag_mappings_name_listed_tags). Rows returned are failures.
select
    mappings.workspace_id,
    mappings.mapping_id,
    count(bridge.mapping_id) as bridge_rows
from {{ ref('stg_instantly__custom_tag_mappings') }} as mappings
left join {{ ref('custom_tag_assignments') }} as bridge
    on mappings.workspace_id = bridge.workspace_id and mappings.mapping_id = bridge.mapping_id
group by mappings.workspace_id, mappings.mapping_id
having count(bridge.mapping_id) <> 1
