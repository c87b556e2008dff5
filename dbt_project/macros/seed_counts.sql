{#- What became of a group of seed sends (rows of int_inbox_placement__seed_sends): the counts
    every seed-coverage mart sums, written once. -#}
{% macro seed_send_counts() -%}
        count(*) as sent_count,
        sum(case when is_received then 1 else 0 end) as received_count,
        sum(case when is_received then 0 else 1 end) as missing_count,
        sum(case when is_received and not is_spam and not is_category then 1 else 0 end) as inbox_count,
        sum(case when is_received and is_category then 1 else 0 end) as category_count,
        sum(case when is_received and is_spam then 1 else 0 end) as spam_count
{%- endmacro %}

{#- The latest row of `relation` per `partition_by` (by `order_by` descending): a mailbox's
    latest health score, a domain's latest DNS check. -#}
{% macro latest_rows(relation, partition_by, order_by) -%}
(
    select * from (
        select
            latest_candidates.*,
            row_number() over (partition by {{ partition_by }} order by {{ order_by }} desc) as latest_rank
        from {{ relation }} as latest_candidates
    ) as ranked
    where latest_rank = 1
)
{%- endmacro %}
