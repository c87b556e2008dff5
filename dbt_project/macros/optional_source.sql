{#- A source table as its source YAML declares it, whatever the warehouse holds yet: the table
    itself; the table with typed null columns for the declared columns it lacks (a load whose
    rows never carried that field, such as a seed-test job that does not exist); or, when the
    table does not exist yet (a new workspace, no placement add-on, no Campaign Cleaner key, a
    first run), an empty relation of the declared columns. So every model builds on every
    warehouse. Types come from the YAML `data_type`s, declared once. -#}
{% macro optional_source(source_name, table_name) -%}
    {%- set src = source(source_name, table_name) -%}
    {%- if execute and src.schema is not none -%}
        {%- set rel = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) -%}
    {%- else -%}
        {#- parsing, or a unit test (its inputs stand in for the source, without a schema) -#}
        {%- set rel = src -%}
    {%- endif -%}
    {%- set node = declared(source_name, table_name) if execute and src.schema is not none else none -%}
    {%- if rel is none -%}
        (select
        {%- for column in node.columns.values() %}
            cast(null as {{ raw_type(column.data_type) }}) as {{ adapter.quote(column.name) }}{{ "," if not loop.last }}
        {%- endfor %}
        where 1 = 0)
    {%- else -%}
        {%- set present = [] -%}
        {%- if execute and src.schema is not none -%}
            {%- for column in adapter.get_columns_in_relation(rel) -%}
                {%- do present.append(column.name | lower) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- set missing = [] -%}
        {%- if present -%}
            {%- for column in node.columns.values() if column.name | lower not in present -%}
                {%- do missing.append(column) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- if missing -%}
            (select *
            {%- for column in missing %}, cast(null as {{ raw_type(column.data_type) }}) as {{ adapter.quote(column.name) }}{%- endfor %}
            from {{ src }})
        {%- else -%}
            {{ src }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The source YAML's node of a table (its declared columns); the graph has it once dbt executes. -#}
{% macro declared(source_name, table_name) -%}
    {{ return(graph.sources.values() | selectattr('source_name', 'equalto', source_name)
              | selectattr('name', 'equalto', table_name) | first) }}
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
