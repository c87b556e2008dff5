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

{#- A seed-test provider name on Instantly's ESP labels: Gmail is Google; Outlook, Hotmail and
    Office 365 are Microsoft; any other provider keeps its own name. -#}
{% macro provider_esp(provider) -%}
    case
        when {{ provider }} = 'Gmail' then 'Google'
        when {{ provider }} in ('Outlook', 'Hotmail', 'Office 365') then 'Microsoft'
        else coalesce({{ provider }}, 'Unknown')
    end
{%- endmacro %}
