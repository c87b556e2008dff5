select
    load_id,
    schema_name as source,
    cast(status as integer) as status_code,
    {{ utc_timestamp("inserted_at") }} as loaded_at
from {{ optional_source('dlt', '_dlt_loads') }} as loads
