-- Deprecated: the mart's name before marts took plain entity names. Use inbox_placement_tests.
select * from {{ ref('inbox_placement_tests') }}
