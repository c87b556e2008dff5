-- Mailboxes whose warmup or inbox placement inbox rate fell below 80% on a day of the last 7 UTC
-- days, worst first, with the day it was worst.
with recent as (
    select
        email,
        "date",
        warmup_inbox_rate,
        placement_inbox_rate,
        least(coalesce(warmup_inbox_rate, 1), coalesce(placement_inbox_rate, 1)) as worst_rate
    from analytics.sender_health_daily
    where "date" >= cast(current_timestamp at time zone 'UTC' as date) - interval '6 days'
      and (warmup_inbox_rate < 0.8 or placement_inbox_rate < 0.8)
),

ranked as (
    select *, row_number() over (partition by email order by worst_rate, "date" desc) as rank_in_mailbox
    from recent
)

select
    email,
    worst_rate,
    "date" as worst_day,
    warmup_inbox_rate,
    placement_inbox_rate,
    (select count(*) from recent as days where days.email = ranked.email) as days_below_80_percent
from ranked
where rank_in_mailbox = 1
order by worst_rate, email
