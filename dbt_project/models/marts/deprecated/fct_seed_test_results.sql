-- Deprecated: the mart's name before marts took plain entity names. Use seed_test_results.
select * from {{ ref('seed_test_results') }}
