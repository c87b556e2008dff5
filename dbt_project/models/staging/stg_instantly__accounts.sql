select
    workspace_id,
    lower(email) as email,
    lower(split_part(email, '@', 2)) as domain,
    first_name,
    last_name,
    cast(status as integer) as status_code,
    {{ instantly_account_status('status') }} as status,
    cast(warmup_status as integer) as warmup_status_code,
    cast(provider_code as integer) as provider_code,
    cast(daily_limit as integer) as daily_limit,
    cast(stat_warmup_score as {{ dbt.type_float() }}) as warmup_score,
    {{ utc_timestamp("timestamp_created") }} as created_at,
    _dlt_load_id as load_id
from {{ optional_source('instantly_accounts', 'instantly_accounts') }} as accounts
