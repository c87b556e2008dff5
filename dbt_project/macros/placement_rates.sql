{#- Placement counts and rates (fractions 0..1 of total_count) by one dimension of
    inbox_placement: the body of placement_rates_by_geo, _by_esp, _by_recipient_type. -#}
{% macro placement_rates(dimension) -%}
with counts as (
    select
        source,
        workspace_id,
        max(workspace_label) as workspace_label,
        test_id,
        placement_date,
        {{ dimension }},
        sum(total_count) as total_count,
        sum(inbox_count) as inbox_count,
        sum(spam_count) as spam_count,
        sum(category_count) as category_count
    from {{ ref('inbox_placement') }}
    group by source, workspace_id, test_id, placement_date, {{ dimension }}
)

select
    source,
    workspace_id,
    workspace_label,
    test_id,
    placement_date as {{ adapter.quote('date') }},
    {{ dimension }},
    total_count,
    inbox_count,
    spam_count,
    category_count,
    {{ safe_ratio('inbox_count', 'total_count') }} as inbox_rate,
    {{ safe_ratio('spam_count', 'total_count') }} as spam_rate,
    {{ safe_ratio('category_count', 'total_count') }} as category_rate
from counts
{%- endmacro %}
