-- One row per workspace, sending domain and UTC day: its accounts' sending and warmup summed, and the
-- latest DNS vitals checked on or before that day.
with mailbox_days as (
    select
        workspace_id,
        domain,
        health_date,
        sum(sent) as sent,
        sum(bounced) as bounced,
        sum(warmup_landed_inbox) as warmup_landed_inbox,
        sum(warmup_landed_spam) as warmup_landed_spam
    from {{ ref('sender_health_daily') }}
    group by workspace_id, domain, health_date
),

accounts as (
    select
        workspace_id,
        domain,
        count(*) as accounts
    from {{ ref('stg_instantly__accounts') }}
    group by workspace_id, domain
),

vitals as (
    select * from {{ ref('stg_instantly__domain_vitals') }}
),

domain_days as (
    select
        workspace_id,
        domain,
        health_date
    from mailbox_days
    union
    select
        workspace_id,
        domain,
        checked_date as health_date
    from vitals
),

latest_vitals as (
    select
        domain_days.workspace_id,
        domain_days.domain,
        domain_days.health_date,
        vitals.checked_date,
        vitals.mx_pass,
        vitals.spf_pass,
        vitals.dkim_pass,
        vitals.dmarc_pass,
        vitals.all_pass,
        row_number() over (
            partition by domain_days.workspace_id, domain_days.domain, domain_days.health_date
            order by vitals.checked_date desc
        ) as recency
    from domain_days
    inner join vitals
        on
            domain_days.workspace_id = vitals.workspace_id and domain_days.domain = vitals.domain
            and domain_days.health_date >= vitals.checked_date
)

select
    domain_days.workspace_id,
    workspace_labels.workspace_label,
    domain_days.domain,
    domain_days.health_date as {{ adapter.quote('date') }},
    domain_days.health_date,
    coalesce(accounts.accounts, 0) as accounts,
    coalesce(mailbox_days.sent, 0) as sent,
    coalesce(mailbox_days.bounced, 0) as bounced,
    {{ safe_ratio('mailbox_days.bounced', 'mailbox_days.sent') }} as bounce_rate,
    coalesce(mailbox_days.warmup_landed_inbox + mailbox_days.warmup_landed_spam, 0) as warmup_landed,
    {{ rate_with_interval(
        'mailbox_days.warmup_landed_inbox',
        'mailbox_days.warmup_landed_inbox + mailbox_days.warmup_landed_spam',
        'warmup_inbox_rate') }},
    latest_vitals.checked_date as vitals_checked_date,
    latest_vitals.mx_pass as mx,
    latest_vitals.spf_pass as spf,
    latest_vitals.dkim_pass as dkim,
    latest_vitals.dmarc_pass as dmarc,
    latest_vitals.all_pass
from domain_days
left join mailbox_days
    on
        domain_days.workspace_id = mailbox_days.workspace_id and domain_days.domain = mailbox_days.domain
        and domain_days.health_date = mailbox_days.health_date
left join accounts on domain_days.workspace_id = accounts.workspace_id and domain_days.domain = accounts.domain
left join latest_vitals
    on
        domain_days.workspace_id = latest_vitals.workspace_id and domain_days.domain = latest_vitals.domain
        and domain_days.health_date = latest_vitals.health_date
        and latest_vitals.recency = 1
{{ join_workspace_labels('domain_days.workspace_id') }}
