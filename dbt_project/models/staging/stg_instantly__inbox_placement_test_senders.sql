select
    tests.id as test_id,
    senders.value as sender_email
from {{ optional_source('instantly_placement', 'instantly_inbox_placement_tests__emails') }} as senders
inner join {{ optional_source('instantly_placement', 'instantly_inbox_placement_tests') }} as tests
    on senders._dlt_root_id = tests._dlt_id
