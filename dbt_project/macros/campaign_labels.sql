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
