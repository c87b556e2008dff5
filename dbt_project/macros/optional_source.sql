{#- A source table that may not exist yet (no placement add-on, no Campaign Cleaner key, a
    first run): the table itself, or an empty relation with the given columns, so every model
    builds on every warehouse. `columns` maps name -> SQL type. -#}
{% macro optional_source(source_name, table_name, columns) -%}
    {%- set src = source(source_name, table_name) -%}
    {%- if execute -%}
        {%- set rel = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) -%}
    {%- else -%}
        {%- set rel = src -%}
    {%- endif -%}
    {%- if rel is not none -%}
        {{ src }}
    {%- else -%}
        (select
        {%- for name, type in columns.items() %}
            cast(null as {{ type }}) as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
        where 1 = 0)
    {%- endif -%}
{%- endmacro %}
