-- One row per inbox placement report (one run of a test): the blacklists that list the sending
-- domain or IP, the SpamAssassin score, and the rules that added points to it.
with listings as (
    select
        report_key,
        count(*) as listed_blacklist_count,
        {{ dbt.listagg("blacklist", "', '", "order by blacklist") }} as listed_blacklists
    from {{ ref('stg_instantly__inbox_placement_report_blacklists') }}
    where is_listed
    group by report_key
),

failing_rules as (
    select
        report_key,
        count(*) as failing_rule_count,
        {{ dbt.listagg("rule_name", "', '", "order by rule_score desc, rule_name") }} as failing_rules
    from {{ ref('stg_instantly__inbox_placement_report_rules') }}
    where rule_score > 0
    group by report_key
)

select
    reports.workspace_id,
    workspace_labels.workspace_label,
    reports.report_id,
    reports.test_id,
    reports.created_at,
    reports.created_date as report_date,
    reports.domain,
    reports.domain_ip,
    coalesce(reports.is_blacklisted, false) as is_blacklisted,
    coalesce(listings.listed_blacklist_count, 0) as listed_blacklist_count,
    listings.listed_blacklists,
    reports.spam_assassin_score,
    coalesce(failing_rules.failing_rule_count, 0) as failing_rule_count,
    failing_rules.failing_rules
from {{ ref('stg_instantly__inbox_placement_reports') }} as reports
left join listings on reports.report_key = listings.report_key
left join failing_rules on reports.report_key = failing_rules.report_key
{{ join_workspace_labels('reports.workspace_id') }}
