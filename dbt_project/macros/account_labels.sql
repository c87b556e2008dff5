{#- Instantly account status codes as labels (API reference, Account `status` enum). -#}
{% macro instantly_account_status(code) -%}
    case cast({{ code }} as integer)
        when 1 then 'Active'
        when 2 then 'Paused'
        when 3 then 'Maintenance'
        when -1 then 'Connection Error'
        when -2 then 'Soft Bounce Error'
        when -3 then 'Sending Error'
        else 'Unknown'
    end
{%- endmacro %}
