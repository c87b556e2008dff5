{#- A source table that may not exist yet (a new workspace, no placement add-on, no Campaign
    Cleaner key, a first run): the table itself, or an empty relation with the columns and
    `data_type`s its source YAML declares, so every model builds (empty) on every warehouse. -#}
{% macro optional_source(source_name, table_name) -%}
    {%- set src = source(source_name, table_name) -%}
    {%- if execute and src.schema is not none -%}
        {%- set rel = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) -%}
    {%- else -%}
        {#- parsing, or a unit test (its inputs stand in for the source, without a schema) -#}
        {%- set rel = src -%}
    {%- endif -%}
    {%- if rel is not none -%}
        {{ src }}
    {%- else -%}
        {%- set node = graph.sources.values() | selectattr('source_name', 'equalto', source_name)
                       | selectattr('name', 'equalto', table_name) | first -%}
        (select
        {%- for column in node.columns.values() %}
            cast(null as {{ raw_type(column.data_type) }}) as {{ adapter.quote(column.name) }}{{ "," if not loop.last }}
        {%- endfor %}
        where 1 = 0)
    {%- endif -%}
{%- endmacro %}

{#- A source YAML `data_type` as this warehouse's type. -#}
{% macro raw_type(name) -%}
    {%- set types = {
        'text': dbt.type_string(),
        'bigint': dbt.type_bigint(),
        'float': dbt.type_float(),
        'boolean': dbt.type_boolean(),
        'timestamptz': 'timestamp with time zone',
        'date': 'date',
    } -%}
    {%- if name not in types -%}
        {{ exceptions.raise_compiler_error("unknown data_type " ~ name ~ " in a source YAML: use one of " ~ types.keys() | join(", ")) }}
    {%- endif -%}
    {{ types[name] }}
{%- endmacro %}
