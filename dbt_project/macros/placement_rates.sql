{#- Placement counts and rates (fractions 0..1) by one dimension of inbox_placement: the body of
    placement_rates_by_geo, _by_esp, _by_recipient_type and _by_sender.

    The received counts and their rates (`total_count`, `inbox_rate`, ...) are inbox_placement's,
    by the receipt's UTC day. Beside them, for Instantly, what seed_coverage counts by the send's
    UTC day: `sent_count`, `missing_count` and the rates over sent, the inbox rate of sent with its
    95% interval (`wilson_bound`: sent_count is its n). A cell whose seeds all went
    missing has a row too (total_count 0). Campaign Cleaner has no sent records: its sent columns
    are null, never 0. `date` repeats `placement_date` for readers of earlier versions
    (deprecated: it will go). -#}
{% macro placement_rates(dimension) -%}
with counts as (
    select
        source,
        workspace_id,
        max(workspace_label) as workspace_label,
        test_id,
        placement_date,
        {{ dimension }},
        sum(total_count) as total_count,
        sum(inbox_count) as inbox_count,
        sum(spam_count) as spam_count,
        sum(category_count) as category_count
    from {{ ref('inbox_placement') }}
    group by source, workspace_id, test_id, placement_date, {{ dimension }}
),

sent as (
    select
        'instantly' as source,
        workspace_id,
        max(workspace_label) as workspace_label,
        test_id,
        sent_date as placement_date,
        {{ dimension }},
        sum(sent_count) as sent_count,
        sum(missing_count) as missing_count,
        sum(inbox_count) as sent_inbox_count,
        sum(spam_count) as sent_spam_count
    from {{ ref('seed_coverage') }}
    group by workspace_id, test_id, sent_date, {{ dimension }}
),

cells as (
    select
        coalesce(counts.source, sent.source) as source,
        coalesce(counts.workspace_id, sent.workspace_id) as workspace_id,
        coalesce(counts.workspace_label, sent.workspace_label) as workspace_label,
        coalesce(counts.test_id, sent.test_id) as test_id,
        coalesce(counts.placement_date, sent.placement_date) as placement_date,
        coalesce(counts.{{ dimension }}, sent.{{ dimension }}) as {{ dimension }},
        coalesce(counts.total_count, 0) as total_count,
        coalesce(counts.inbox_count, 0) as inbox_count,
        coalesce(counts.spam_count, 0) as spam_count,
        coalesce(counts.category_count, 0) as category_count,
        sent.sent_count,
        sent.missing_count,
        sent.sent_inbox_count,
        sent.sent_spam_count
    from counts
    full outer join sent
        on sent.source = counts.source
        and sent.workspace_id = counts.workspace_id
        and sent.test_id = counts.test_id
        and sent.placement_date = counts.placement_date
        and sent.{{ dimension }} = counts.{{ dimension }}
)

select
    source,
    workspace_id,
    workspace_label,
    test_id,
    placement_date,
    {{ dimension }},
    total_count,
    inbox_count,
    spam_count,
    category_count,
    {{ safe_ratio('inbox_count', 'total_count') }} as inbox_rate,
    {{ safe_ratio('spam_count', 'total_count') }} as spam_rate,
    {{ safe_ratio('category_count', 'total_count') }} as category_rate,
    sent_count,
    missing_count,
    {{ rate_with_interval('sent_inbox_count', 'sent_count', 'inbox_rate_of_sent') }},
    {{ safe_ratio('sent_spam_count', 'sent_count') }} as spam_rate_of_sent,
    {{ safe_ratio('missing_count', 'sent_count') }} as missing_rate,
    placement_date as {{ adapter.quote('date') }}
from cells
{%- endmacro %}
