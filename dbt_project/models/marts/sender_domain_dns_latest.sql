-- Each sending domain's latest DNS check (SPF, DKIM, DMARC, MX): the failing-domains panel of the
-- review and the DNS alert read it.
with ranked as (
    select
        workspace_id,
        workspace_label,
        domain,
        health_date,
        accounts,
        vitals_checked_date,
        spf,
        dkim,
        dmarc,
        mx,
        all_pass,
        row_number() over (
            partition by workspace_id, domain order by vitals_checked_date desc, health_date desc
        ) as recency
    from {{ ref('sender_domain_health') }}
    where vitals_checked_date is not null
)

select
    workspace_id,
    workspace_label,
    domain,
    vitals_checked_date as checked_date,
    health_date,
    accounts,
    spf,
    dkim,
    dmarc,
    mx,
    all_pass
from ranked
where recency = 1
