{#- A rate must lie in [0, 1] (null allowed: nothing to divide by). The numbers come from the
    vendor, so a rate outside is a warning (names in the run log and the ledger), never a mart
    held back. Per-day event ratios (a day's opens over the day's sends) are not fractions and
    are not tested with this. -#}
{% test is_fraction(model, column_name) %}
{{ config(severity='warn') }}
select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0 or {{ column_name }} > 1
{% endtest %}
