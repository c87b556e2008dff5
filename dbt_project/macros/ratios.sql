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

{#- Whether a rate's change between two periods is larger than its noise: true when the two
    periods' 95% Wilson intervals do not overlap (`<rate>_low` / `<rate>_high` beside each rate),
    false when they do, null when either period has no n. Conservative on purpose: a change this
    calls real is one no reader should argue with; one it does not call real may still be, with
    more seeds. -#}
{% macro beyond_noise(this_rate, previous_rate) -%}
    case
        when {{ this_rate }}_low is null or {{ previous_rate }}_low is null then null
        else {{ this_rate }}_low > {{ previous_rate }}_high or {{ this_rate }}_high < {{ previous_rate }}_low
    end
{%- endmacro %}
