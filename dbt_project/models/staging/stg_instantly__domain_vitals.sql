select
    workspace_id,
    lower(domain) as domain,
    cast(date as date) as checked_date,
    all_pass,
    mx as mx_pass,
    spf as spf_pass,
    dkim as dkim_pass,
    dmarc as dmarc_pass,
    result_list
from {{ optional_source('instantly_vitals', 'instantly_domain_vitals') }} as vitals
