-- One row per campaign, UTC day, step and variant (null step/variant: not attributable).
select
    workspace_id,
    workspace_labels.workspace_label,
    campaign_id,
    activity_date,
    step,
    variant,
    case variant
        when '0' then 'A' when '1' then 'B' when '2' then 'C' when '3' then 'D'
        when '4' then 'E' when '5' then 'F'
        else variant
    end as variant_label,
    sent_count,
    opened_count,
    unique_opened_count,
    reply_count,
    unique_reply_count,
    click_count,
    unique_click_count,
    {{ safe_ratio('unique_reply_count', 'sent_count') }} as reply_rate,
    {{ safe_ratio('unique_opened_count', 'sent_count') }} as open_rate,
    {{ safe_ratio('unique_click_count', 'sent_count') }} as click_rate
from {{ ref('stg_instantly__campaign_analytics_steps') }}
{{ join_workspace_labels('workspace_id') }}
