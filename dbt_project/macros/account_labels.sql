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

{#- An account's `provider_code` (1 Custom IMAP/SMTP, 2 Google, 3 Microsoft, 4 AWS, 8 AirMail) as
    the inbox placement ESP code its seed emails would carry as `sender_esp`; null where the
    placement enum has no such ESP. -#}
{% macro account_provider_esp_code(provider_code) -%}
    case cast({{ provider_code }} as integer)
        when 2 then 1
        when 3 then 2
        when 8 then 8
    end
{%- endmacro %}
