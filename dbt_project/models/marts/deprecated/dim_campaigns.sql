-- Deprecated: the mart's name before marts took plain entity names. Use campaigns.
select * from {{ ref('campaigns') }}
