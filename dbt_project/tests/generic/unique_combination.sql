{#- No two rows share these columns: a composite key, compared column by column (a null equals a
    null, as in GROUP BY), so no separator can make two keys collide. -#}
{% test unique_combination(model, columns) %}
select
    {%- for column in columns %}
    {{ adapter.quote(column) }},
    {%- endfor %}
    count(*) as occurrences
from {{ model }}
group by {% for column in columns %}{{ adapter.quote(column) }}{{ ", " if not loop.last }}{% endfor %}
having count(*) > 1
{% endtest %}
