{#- Joins each row to the label (ours: `default`, or its key in SOURCES__INSTANTLY__WORKSPACES) of
    the workspace whose id is `workspace_id`, as `workspace_labels.workspace_label`: how every mart
    names the agency client a row belongs to. Only the label and a renamed id join in, so the
    caller's unqualified columns stay unambiguous. -#}
{% macro join_workspace_labels(workspace_id) -%}
left join (
    select workspace_id as labelled_workspace_id, workspace_label from {{ ref('stg_instantly__workspaces') }}
) as workspace_labels
    on workspace_labels.labelled_workspace_id = {{ workspace_id }}
{%- endmacro %}
