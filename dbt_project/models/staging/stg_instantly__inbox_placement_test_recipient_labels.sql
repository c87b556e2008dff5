select
    tests.id as test_id,
    labels._dlt_list_idx as label_index,
    labels.region,
    labels.sub_region,
    labels.type as recipient_type,
    labels.esp
from {{ optional_source('instantly', 'instantly_inbox_placement_tests__recipients_labels') }} as labels
inner join {{ optional_source('instantly', 'instantly_inbox_placement_tests') }} as tests
    on tests._dlt_id = labels._dlt_root_id
