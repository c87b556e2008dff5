-- A/B view: per campaign, step and variant over all loaded days, with each variant's rates and
-- whether it leads its step on reply rate.
with totals as (
    select
        workspace_id,
        max(workspace_label) as workspace_label,
        campaign_id,
        step,
        variant,
        max(variant_label) as variant_label,
        sum(sent_count) as sent_count,
        sum(unique_opened_count) as unique_opened_count,
        sum(unique_reply_count) as unique_reply_count,
        sum(unique_click_count) as unique_click_count,
        count(*) as active_days
    from {{ ref('campaign_step_daily') }}
    where step is not null and variant is not null
    group by workspace_id, campaign_id, step, variant
),

rated as (
    select
        *,
        {{ safe_ratio('unique_reply_count', 'sent_count') }} as reply_rate,
        {{ safe_ratio('unique_opened_count', 'sent_count') }} as open_rate,
        {{ safe_ratio('unique_click_count', 'sent_count') }} as click_rate
    from totals
)

select
    rated.*,
    {{ safe_ratio('sent_count', 'sum(sent_count) over (partition by campaign_id, step)') }} as share_of_step_sent,
    rank() over (partition by rated.campaign_id, rated.step order by rated.reply_rate desc nulls last) = 1 as is_best_reply_rate
from rated
