{#- A fraction 0..1, null when the denominator is 0 or null. -#}
{% macro safe_ratio(numerator, denominator) -%}
    case when ({{ denominator }}) > 0 then cast({{ numerator }} as {{ dbt.type_float() }}) / ({{ denominator }}) end
{%- endmacro %}

{#- DuckDB's FLOAT is 4 bytes; rates and scores want the 8-byte double every other warehouse
    means by float. -#}
{% macro duckdb__type_float() -%}
    double
{%- endmacro %}
