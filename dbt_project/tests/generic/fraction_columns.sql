{#- Each of `columns` lies in [0, 1] (null allowed: nothing to divide by). One test per model
    (see not_null_columns). The numbers come from the vendor, so a rate outside is a warning
    (named in the run log and the ledger), never a mart held back. Per-day event ratios (a day's
    opens over the day's sends) are not fractions and are not tested with this. -#}
{% test fraction_columns(model, columns) %}
{{ config(severity='warn') }}
select *
from {{ model }}
where
    {%- for column in columns %}
    {{ adapter.quote(column) }} not between 0 and 1{{ " or" if not loop.last }}
    {%- endfor %}
{% endtest %}
