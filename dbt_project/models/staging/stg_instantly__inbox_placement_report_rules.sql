select
    _dlt_root_id as report_key,
    description as rule_section,
    name as rule_name,
    cast(score as {{ dbt.type_float() }}) as rule_score
from {{ optional_source('instantly_placement', 'instantly_inbox_placement_reports__spam_assassin_report__report') }} as rules
