-- For each campaign and step, the variant with the best reply rate (A/B decisions).
select
    campaigns.campaign_name,
    comparison.campaign_id,
    comparison.step,
    comparison.variant_label as best_variant,
    comparison.sent_count,
    comparison.unique_reply_count,
    round(cast(comparison.reply_rate as numeric), 4) as reply_rate,
    round(cast(comparison.share_of_step_sent as numeric), 4) as share_of_step_sent
from analytics.campaign_step_variant_comparison as comparison
inner join analytics.campaigns as campaigns on campaigns.campaign_id = comparison.campaign_id
where comparison.is_best_reply_rate
order by campaigns.campaign_name, comparison.step
