{{ config(severity='warn') }}
-- Every mapping's tag is in the tag list loaded the same run. The API may map a tag it no longer
-- lists (a deleted tag): its rows stay, labelled null, and this warns. Rows returned are failures.
select
    workspace_id,
    mapping_id,
    tag_id
from {{ ref('custom_tag_assignments') }}
where tag_label is null
