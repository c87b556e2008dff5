{#- Instantly campaign status codes as labels (API reference, campaign `status` enum). -#}
{% macro instantly_campaign_status(code) -%}
    case cast({{ code }} as integer)
        when 0 then 'Draft'
        when 1 then 'Active'
        when 2 then 'Paused'
        when 3 then 'Completed'
        when 4 then 'Running Subsequences'
        when -99 then 'Account Suspended'
        when -1 then 'Accounts Unhealthy'
        when -2 then 'Bounce Protect'
        else 'Unknown'
    end
{%- endmacro %}

{#- ESP codes of inbox placement (recipient_esp, sender_esp). -#}
{% macro instantly_esp(code) -%}
    case cast({{ code }} as integer)
        when 1 then 'Google'
        when 2 then 'Microsoft'
        when 8 then 'AirMail'
        when 12 then 'Web.de'
        when 13 then 'Libero.it'
        else 'Unknown'
    end
{%- endmacro %}

{% macro instantly_geo(code) -%}
    case cast({{ code }} as integer)
        when 1 then 'United States'
        when 2 then 'Italy'
        when 3 then 'Germany'
        when 4 then 'France'
        else 'Unknown'
    end
{%- endmacro %}

{% macro instantly_recipient_type(code) -%}
    case cast({{ code }} as integer)
        when 1 then 'Professional'
        when 2 then 'Personal'
        else 'Unknown'
    end
{%- endmacro %}

{% macro instantly_test_status(code) -%}
    case cast({{ code }} as integer)
        when 1 then 'Active'
        when 2 then 'Paused'
        when 3 then 'Completed'
        else 'Unknown'
    end
{%- endmacro %}

{% macro instantly_test_type(code) -%}
    case cast({{ code }} as integer)
        when 1 then 'One-time'
        when 2 then 'Automated'
        else 'Unknown'
    end
{%- endmacro %}

{#- A fraction 0..1, null when the denominator is 0 or null. -#}
{% macro safe_ratio(numerator, denominator) -%}
    case when {{ denominator }} > 0 then cast({{ numerator }} as {{ dbt.type_float() }}) / {{ denominator }} end
{%- endmacro %}

{#- DuckDB's FLOAT is 4 bytes; rates and scores want the 8-byte double every other warehouse
    means by float. -#}
{% macro duckdb__type_float() -%}
    double
{%- endmacro %}

{#- A seed-test provider name on Instantly's ESP labels: Gmail is Google; Outlook, Hotmail and
    Office 365 are Microsoft; any other provider keeps its own name. -#}
{% macro provider_esp(provider) -%}
    case
        when {{ provider }} = 'Gmail' then 'Google'
        when {{ provider }} in ('Outlook', 'Hotmail', 'Office 365') then 'Microsoft'
        else coalesce({{ provider }}, 'Unknown')
    end
{%- endmacro %}
