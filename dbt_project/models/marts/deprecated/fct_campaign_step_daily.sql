-- Deprecated: the mart's name before marts took plain entity names. Use campaign_step_daily.
select * from {{ ref('campaign_step_daily') }}
