select
    tests.id as test_id,
    recipients._dlt_list_idx as recipient_index,
    recipients.value as recipient_email
from {{ optional_source('instantly', 'instantly_inbox_placement_tests__recipients') }} as recipients
inner join {{ optional_source('instantly', 'instantly_inbox_placement_tests') }} as tests
    on tests._dlt_id = recipients._dlt_root_id
