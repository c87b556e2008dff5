{%- set threshold = var('mailbox_ready_inbox_rate') -%}
{%- set threshold_text = ((threshold * 100) | round | int) ~ '%' -%}
{%- set window = var('placement_test_window_days') -%}
{%- set min_seeds = var('verdict_min_seeds') -%}
-- Which mailboxes are safe to send from, judged on the latest Instantly test at each recipient
-- ESP that ran within the test window: ready when every one put at least the threshold's share of
-- its seeds in the inbox; not ready when one fell short beyond doubt (at least `verdict_min_seeds`
-- seeds, and its whole 95% interval below the threshold); unsure when one fell short on too few
-- seeds to say. A mailbox whose latest tests are all older is stale and one never tested is
-- untested: none of these three is "not ready", because nothing recent and certain says so.
-- Beside it, what else a deliverability lead checks: warmup health and the domain's DNS.
with placement as (
    select
        *,
        cast(cast(round(inbox_rate_of_sent * 100) as integer) as {{ dbt.type_string() }}) as inbox_percent_text,
        is_within_test_window and not meets_threshold as is_below_threshold,
        is_within_test_window
        and sent_count >= {{ min_seeds }}
        and inbox_rate_of_sent_high < {{ threshold }} as is_below_threshold_beyond_doubt
    from {{ ref('mailbox_placement_latest') }}
),

mailboxes as (
    select
        workspace_id,
        email as mailbox_email
    from {{ ref('stg_instantly__accounts') }}
    union
    select
        workspace_id,
        mailbox_email
    from placement
),

tested as (
    select
        workspace_id,
        mailbox_email,
        count(*) as tested_esp_count,
        sum(case when is_within_test_window then 1 else 0 end) as recent_esp_count,
        sum(case when is_below_threshold then 1 else 0 end) as esps_below_threshold,
        sum(case when is_below_threshold_beyond_doubt then 1 else 0 end) as esps_below_threshold_beyond_doubt,
        min(case when is_within_test_window then inbox_rate_of_sent end) as lowest_inbox_rate_of_sent,
        max(tested_date) as latest_tested_date,
        {{ dbt.listagg('recipient_esp', "', '", 'order by recipient_esp') }} as tested_esps
    from placement
    group by workspace_id, mailbox_email
),

below as (
    select
        workspace_id,
        mailbox_email,
        {{ dbt.listagg(
            "recipient_esp || ' ' || inbox_percent_text || '% of ' || cast(sent_count as " ~ dbt.type_string()
            ~ ") || ' seeds on ' || cast(tested_date as " ~ dbt.type_string() ~ ")",
            "', '", 'order by inbox_rate_of_sent, recipient_esp') }} as below_detail
    from placement
    where is_below_threshold
    group by workspace_id, mailbox_email
),

latest_health as (
    select
        workspace_id,
        email,
        health_date,
        health_score
    from {{ latest_rows(ref('stg_instantly__warmup_health'), 'workspace_id, email', 'health_date') }} as health
),

latest_vitals as (
    select
        workspace_id,
        domain,
        checked_date,
        spf_pass,
        dkim_pass,
        dmarc_pass
    from {{ latest_rows(ref('stg_instantly__domain_vitals'), 'workspace_id, domain', 'checked_date') }} as vitals
),

assessed as (
    select
        mailboxes.workspace_id,
        mailboxes.mailbox_email,
        lower(split_part(mailboxes.mailbox_email, '@', 2)) as domain,
        coalesce(tested.tested_esp_count, 0) as tested_esp_count,
        coalesce(tested.esps_below_threshold, 0) as esps_below_threshold,
        coalesce(tested.esps_below_threshold_beyond_doubt, 0) as esps_below_threshold_beyond_doubt,
        tested.tested_esps,
        tested.lowest_inbox_rate_of_sent,
        tested.latest_tested_date,
        below.below_detail,
        case
            when coalesce(tested.tested_esp_count, 0) = 0 then 'untested'
            when tested.recent_esp_count = 0 then 'stale'
            when tested.esps_below_threshold = 0 then 'ready'
            when tested.esps_below_threshold_beyond_doubt > 0 then 'not ready'
            else 'unsure'
        end as readiness_status
    from mailboxes
    left join tested
        on mailboxes.workspace_id = tested.workspace_id and mailboxes.mailbox_email = tested.mailbox_email
    left join below
        on mailboxes.workspace_id = below.workspace_id and mailboxes.mailbox_email = below.mailbox_email
)

select
    assessed.workspace_id,
    workspace_labels.workspace_label,
    assessed.mailbox_email,
    assessed.domain,
    assessed.readiness_status,
    assessed.readiness_status = 'ready' as is_ready,
    case assessed.readiness_status
        when 'untested' then 'untested: no inbox placement test has sent from this mailbox'
        when 'stale'
            then
                'stale: its latest inbox placement test ran on '
                || cast(assessed.latest_tested_date as {{ dbt.type_string() }})
                || ', outside the last {{ window }} UTC days'
        when 'ready'
            then 'ready: at least {{ threshold_text }} inbox of sent at every ESP tested in the last {{ window }} days'
        when 'not ready' then 'not ready: below {{ threshold_text }} inbox of sent at ' || assessed.below_detail
        else
            'unsure: below {{ threshold_text }} inbox of sent at ' || assessed.below_detail
            || ', on too few seeds to say (under {{ min_seeds }}, or a 95% interval reaching {{ threshold_text }})'
    end as readiness_reason,
    {{ threshold }} as ready_inbox_rate_threshold,
    {{ window }} as test_window_days,
    assessed.tested_esp_count,
    assessed.esps_below_threshold,
    assessed.esps_below_threshold_beyond_doubt,
    assessed.tested_esps,
    assessed.lowest_inbox_rate_of_sent,
    assessed.latest_tested_date,
    latest_health.health_score as warmup_health_score,
    latest_health.health_date as warmup_health_date,
    latest_vitals.spf_pass,
    latest_vitals.dkim_pass,
    latest_vitals.dmarc_pass,
    latest_vitals.checked_date as dns_checked_date
from assessed
left join latest_health
    on assessed.workspace_id = latest_health.workspace_id and assessed.mailbox_email = latest_health.email
left join latest_vitals
    on assessed.workspace_id = latest_vitals.workspace_id and assessed.domain = latest_vitals.domain
{{ join_workspace_labels('assessed.workspace_id') }}
