-- Inbox, spam and category rates per ESP over the last 30 UTC days, per data source.
select
    source,
    esp,
    sum(total_count) as total_count,
    sum(inbox_count) as inbox_count,
    sum(spam_count) as spam_count,
    sum(category_count) as category_count,
    round(cast(sum(inbox_count) as numeric) / nullif(sum(total_count), 0), 4) as inbox_rate,
    round(cast(sum(spam_count) as numeric) / nullif(sum(total_count), 0), 4) as spam_rate,
    round(cast(sum(category_count) as numeric) / nullif(sum(total_count), 0), 4) as category_rate
from analytics.placement_rates_by_esp
where "date" >= cast(current_timestamp at time zone 'UTC' as date) - interval '30 days'
group by source, esp
order by source, inbox_rate
