-- Every tag mapping names a campaign or mailbox the warehouse knows. A mapping that matches
-- neither (a mailbox named by an id instead of its email, or a campaign not loaded) cannot be
-- sliced by; it warns, so a live answer unlike the simulator's shows up in the run log.
{{ config(severity='warn') }}
select * from {{ ref('custom_tag_assignments') }}
where resource_kind = 'unresolved'
