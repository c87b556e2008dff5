{#- Every timestamp and date the models expose is UTC, whatever the session's time zone.

    `cast(<timestamptz> as timestamp|date)` is evaluated in the session's zone on DuckDB and on
    PostgreSQL alike, so a host or server outside UTC would shift hours and days. These macros
    convert explicitly: the value (a timestamptz, or ISO text with an offset) read as an instant,
    then its wall clock in UTC. Text without an offset is read as UTC: the dbt sessions are pinned
    to UTC in profiles.yml (DuckDB `TimeZone`; PostgreSQL through PGTZ, set by the runner). -#}
{% macro utc_timestamp(column) -%}
    (cast({{ column }} as timestamp with time zone) at time zone 'UTC')
{%- endmacro %}

{% macro utc_date(column) -%}
    cast({{ utc_timestamp(column) }} as date)
{%- endmacro %}

{#- The UTC day the build runs on: what "the last N days" of a mart counts back from. -#}
{% macro utc_today() -%}
    {{ utc_date(dbt.current_timestamp()) }}
{%- endmacro %}
