-- One row per Instantly workspace loaded (one per key): the agency's clients side by side.
select
    workspace_id,
    workspace_label,
    workspace_name,
    created_at
from {{ ref('stg_instantly__workspaces') }}
