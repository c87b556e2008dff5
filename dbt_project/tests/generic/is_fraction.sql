{#- A rate must lie in [0, 1] (null allowed: nothing to divide by). -#}
{% test is_fraction(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0 or {{ column_name }} > 1
{% endtest %}
