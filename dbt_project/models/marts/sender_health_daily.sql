-- One row per workspace, sending account and UTC day with any campaign sending, warmup or inbox placement:
-- the morning question "which of my mailboxes are healthy", day by day. Rates are null when their
-- denominator is 0; the per-day event ratios (bounce, reply) can exceed 1, since a day's replies
-- and bounces include those of earlier days' sends.
with sending as (
    select
        workspace_id,
        email,
        activity_date as health_date,
        sent_count,
        bounced_count,
        reply_count,
        unique_reply_count
    from {{ ref('stg_instantly__account_analytics_daily') }}
),

warmup as (
    select
        workspace_id,
        email,
        warmup_date as health_date,
        sent_count,
        landed_inbox_count,
        landed_spam_count
    from {{ ref('stg_instantly__warmup_analytics_daily') }}
),

placement as (
    select
        workspace_id,
        email,
        placement_date as health_date,
        received_count,
        inbox_count,
        spam_count
    from {{ ref('int_inbox_placement__by_sender_day') }}
),

mailbox_days as (
    select
        workspace_id,
        email,
        health_date
    from sending
    union
    select
        workspace_id,
        email,
        health_date
    from warmup
    union
    select
        workspace_id,
        email,
        health_date
    from placement
),

counts as (
    select
        mailbox_days.workspace_id,
        mailbox_days.email,
        mailbox_days.health_date,
        coalesce(sending.sent_count, 0) as sent,
        coalesce(sending.bounced_count, 0) as bounced,
        coalesce(sending.reply_count, 0) as replies,
        coalesce(sending.unique_reply_count, 0) as unique_replies,
        coalesce(warmup.sent_count, 0) as warmup_sent,
        coalesce(warmup.landed_inbox_count, 0) as warmup_landed_inbox,
        coalesce(warmup.landed_spam_count, 0) as warmup_landed_spam,
        coalesce(placement.received_count, 0) as placement_received,
        coalesce(placement.inbox_count, 0) as placement_inbox,
        coalesce(placement.spam_count, 0) as placement_spam
    from mailbox_days
    left join sending
        on
            mailbox_days.workspace_id = sending.workspace_id and mailbox_days.email = sending.email
            and mailbox_days.health_date = sending.health_date
    left join warmup
        on
            mailbox_days.workspace_id = warmup.workspace_id and mailbox_days.email = warmup.email
            and mailbox_days.health_date = warmup.health_date
    left join placement
        on
            mailbox_days.workspace_id = placement.workspace_id and mailbox_days.email = placement.email
            and mailbox_days.health_date = placement.health_date
)

select
    workspace_id,
    workspace_labels.workspace_label,
    email,
    split_part(email, '@', 2) as domain,
    health_date as {{ adapter.quote('date') }},
    health_date,
    sent,
    bounced,
    {{ safe_ratio('bounced', 'sent') }} as bounce_rate,
    replies,
    unique_replies,
    {{ safe_ratio('unique_replies', 'sent') }} as reply_rate,
    warmup_sent,
    warmup_landed_inbox,
    warmup_landed_spam,
    warmup_landed_inbox + warmup_landed_spam as warmup_landed,
    {{ rate_with_interval('warmup_landed_inbox', 'warmup_landed_inbox + warmup_landed_spam', 'warmup_inbox_rate') }},
    placement_received,
    placement_inbox,
    placement_spam,
    {{ rate_with_interval('placement_inbox', 'placement_received', 'placement_inbox_rate') }}
from counts
{{ join_workspace_labels('workspace_id') }}
