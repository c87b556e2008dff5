-- Sequence steps of each campaign (Instantly uses the first sequence only). step_index is the
-- position in the sequence, 0-based; variants stay as the JSON the API sent.
select
    campaigns.id as campaign_id,
    steps._dlt_list_idx as step_index,
    steps.type as step_type,
    cast(steps.delay as integer) as delay,
    cast(steps.variants as varchar) as variants_json
from {{ optional_source('instantly', 'instantly_campaigns__sequences__steps') }} as steps
inner join {{ optional_source('instantly', 'instantly_campaigns__sequences') }} as sequences
    on sequences._dlt_id = steps._dlt_parent_id and sequences._dlt_list_idx = 0
inner join {{ optional_source('instantly', 'instantly_campaigns') }} as campaigns
    on campaigns._dlt_id = steps._dlt_root_id
