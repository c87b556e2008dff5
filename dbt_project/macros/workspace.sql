{#- The label (ours: `default`, or its key in SOURCES__INSTANTLY__WORKSPACES) of the workspace
    whose id is `workspace_id`: how every mart names the agency client a row belongs to. The id is
    renamed inside, so an unqualified `workspace_id` argument means the caller's column. -#}
{% macro workspace_label(workspace_id) -%}
    (select labels.workspace_label
     from (select workspace_id as labelled_id, workspace_label from {{ ref('stg_instantly__workspaces') }}) as labels
     where labels.labelled_id = {{ workspace_id }})
{%- endmacro %}
