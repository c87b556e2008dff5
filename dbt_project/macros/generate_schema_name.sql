{#- Schemas are exactly what a model configures (`staging`, `analytics`), not prefixed with the
    target schema, so SQL users and BI tools see the same names on every warehouse. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name is not none else target.schema }}
{%- endmacro %}
