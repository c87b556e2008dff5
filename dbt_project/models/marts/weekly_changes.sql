-- What got worse, and where: each subject's rate in a UTC week (from Monday) against the same
-- subject's previous week, with both weeks' n, whether the change is larger than its noise (the
-- one rule, `beyond_noise`) and whether it is for the worse. Subjects: the inbox rate of sent of
-- Instantly seeds by sending mailbox, sending domain and sending ESP × recipient ESP; the bounce
-- rate and the warmup inbox rate by mailbox (sender health). The review's "What got worse" panel
-- reads the last complete week's rows that are worse beyond noise, largest n first.
with seed_sends as (
    select
        workspace_id,
        cast({{ dbt.date_trunc('week', 'sent_date') }} as date) as week_start,
        sender_email,
        lower(split_part(sender_email, '@', 2)) as sending_domain,
        sender_esp || ' to ' || esp as esp_pair,
        case when is_received and not is_spam and not is_category then 1 else 0 end as landed_inbox
    from {{ ref('int_inbox_placement__seed_sends') }}
),

health as (
    select
        workspace_id,
        cast({{ dbt.date_trunc('week', 'health_date') }} as date) as week_start,
        email,
        sent,
        bounced,
        warmup_landed_inbox,
        warmup_landed
    from {{ ref('sender_health_daily') }}
),

subject_kinds as (
    select 'mailbox' as subject_kind
    union all
    select 'sending domain' as subject_kind
    union all
    select 'ESP pair' as subject_kind
),

seed_subjects as (
    select
        seed_sends.workspace_id,
        seed_sends.week_start,
        subject_kinds.subject_kind,
        seed_sends.landed_inbox,
        case subject_kinds.subject_kind
            when 'mailbox' then seed_sends.sender_email
            when 'sending domain' then seed_sends.sending_domain
            else seed_sends.esp_pair
        end as subject
    from seed_sends
    cross join subject_kinds
),

weekly as (
    select
        workspace_id,
        week_start,
        'inbox rate of sent' as measure,
        subject_kind,
        subject,
        count(*) as n,
        sum(landed_inbox) as hits
    from seed_subjects
    group by workspace_id, week_start, subject_kind, subject
    union all
    select
        workspace_id,
        week_start,
        'bounce rate' as measure,
        'mailbox' as subject_kind,
        email as subject,
        sum(sent) as n,
        sum(bounced) as hits
    from health
    group by workspace_id, week_start, email
    having sum(sent) > 0
    union all
    select
        workspace_id,
        week_start,
        'warmup inbox rate' as measure,
        'mailbox' as subject_kind,
        email as subject,
        sum(warmup_landed) as n,
        sum(warmup_landed_inbox) as hits
    from health
    group by workspace_id, week_start, email
    having sum(warmup_landed) > 0
),

compared as (
    select
        this_week.*,
        {{ rate_with_interval('this_week.hits', 'this_week.n', 'rate') }},
        previous_week.n as previous_week_n,
        {{ safe_ratio('previous_week.hits', 'previous_week.n') }} as previous_week_rate,
        {{ beyond_noise('this_week.hits', 'this_week.n', 'previous_week.hits', 'previous_week.n') }} as is_beyond_noise
    from weekly as this_week
    left join weekly as previous_week
        on
            this_week.workspace_id = previous_week.workspace_id
            and this_week.measure = previous_week.measure
            and this_week.subject_kind = previous_week.subject_kind
            and this_week.subject = previous_week.subject
            and previous_week.week_start = cast({{ dbt.dateadd('day', -7, 'this_week.week_start') }} as date)
)

select
    compared.workspace_id,
    workspace_labels.workspace_label,
    compared.week_start,
    compared.measure,
    compared.subject_kind,
    compared.subject,
    compared.n,
    compared.hits,
    compared.rate,
    compared.rate_low,
    compared.rate_high,
    compared.previous_week_n,
    compared.previous_week_rate,
    compared.rate - compared.previous_week_rate as change,
    compared.is_beyond_noise,
    coalesce(
        compared.n >= {{ var('verdict_min_seeds') }} and compared.previous_week_n >= {{ var('verdict_min_seeds') }}, false
    ) as has_enough_n,
    case compared.measure
        when 'bounce rate' then compared.rate > compared.previous_week_rate
        else compared.rate < compared.previous_week_rate
    end as is_worse
from compared
{{ join_workspace_labels('compared.workspace_id') }}
