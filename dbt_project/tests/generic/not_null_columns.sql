{#- Every one of `columns` holds a value in every row. One test per model, not dbt's per-column
    not_null: each test is a node of every build (about 19 ms of CPU each), and a model-level
    test reads the model once for all its required columns. A failing row is returned whole, so
    the stored failures show which column is null. -#}
{% test not_null_columns(model, columns) %}
select *
from {{ model }}
where
    {%- for column in columns %}
    {{ adapter.quote(column) }} is null{{ " or" if not loop.last }}
    {%- endfor %}
{% endtest %}
