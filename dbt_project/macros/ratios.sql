{#- A fraction 0..1, null when the denominator is 0 or null. -#}
{% macro safe_ratio(numerator, denominator) -%}
    case when ({{ denominator }}) > 0 then cast({{ numerator }} as {{ dbt.type_float() }}) / ({{ denominator }}) end
{%- endmacro %}

{#- DuckDB's FLOAT is 4 bytes; rates and scores want the 8-byte double every other warehouse
    means by float. -#}
{% macro duckdb__type_float() -%}
    double
{%- endmacro %}

{#- The 95% Wilson score interval of a rate of `successes` out of `n` (null when n is 0 or null):
    the range the true rate lies in, given n. One seed in the inbox out of one is 100%, but its
    interval is 21%..100%; it is this width, not the point estimate, that says whether a cell can
    carry a verdict. `bound`: 'low' or 'high'. The interval always holds the rate; clamping to it
    only stops float error (100% of 40 would read 0.9999999999999998 at the top). -#}
{% macro wilson_bound(successes, n, bound) -%}
    {%- set z = 1.96 -%}
    {%- set z2 = z * z -%}
    {%- set p = 'cast(' ~ successes ~ ' as ' ~ dbt.type_float() ~ ') / (' ~ n ~ ')' -%}
    case when ({{ n }}) > 0 then
        {{ 'greatest(0.0, least(' if bound == 'low' else 'least(1.0, greatest(' }}{{ p }},
        ({{ p }} + {{ z2 }} / (2.0 * ({{ n }}))
         {{ '-' if bound == 'low' else '+' }} {{ z }} * sqrt({{ p }} * (1 - {{ p }}) / ({{ n }}) + {{ z2 }} / (4.0 * ({{ n }}) * ({{ n }}))))
        / (1 + {{ z2 }} / ({{ n }}))))
    end
{%- endmacro %}

{#- A rate of `successes` out of `n` as three columns: `name` (safe_ratio), and the low and high
    ends of its 95% Wilson interval (`name`_low, `name`_high): every rate of seeds in the marts
    carries its certainty the same way. -#}
{% macro rate_with_interval(successes, n, name) -%}
    {{ safe_ratio(successes, n) }} as {{ name }},
    {{ wilson_bound(successes, n, 'low') }} as {{ name }}_low,
    {{ wilson_bound(successes, n, 'high') }} as {{ name }}_high
{%- endmacro %}

{#- Whether the rates part_a / whole_a and part_b / whole_b differ by more than their noise: a
    two-proportion z-test at 95% (the difference against 1.96 pooled standard errors), as the
    review's `beyond_noise` decides it (README: "How a change counts"). 75% against 25% of 4 seeds
    each is within noise; the same rates on 40 seeds each are not. Null when either has no n. -#}
{% macro beyond_noise(part_a, whole_a, part_b, whole_b) -%}
    {%- set pooled = '(cast((' ~ part_a ~ ') + (' ~ part_b ~ ') as ' ~ dbt.type_float() ~ ') / ((' ~ whole_a ~ ') + (' ~ whole_b ~ ')))' -%}
    case when ({{ whole_a }}) > 0 and ({{ whole_b }}) > 0 then
        abs(cast({{ part_a }} as {{ dbt.type_float() }}) / ({{ whole_a }}) - cast({{ part_b }} as {{ dbt.type_float() }}) / ({{ whole_b }}))
        > 1.96 * sqrt({{ pooled }} * (1 - {{ pooled }}) * (1.0 / ({{ whole_a }}) + 1.0 / ({{ whole_b }})))
    end
{%- endmacro %}
