-- Tagged mailboxes ready to send (mailbox_readiness), per custom tag: how many are, and the
-- lowest inbox rate of sent among them.
select
    tags.workspace_label,
    tags.tag_label,
    count(*) as mailbox_count,
    sum(case when readiness.is_ready then 1 else 0 end) as ready_count,
    min(readiness.lowest_inbox_rate_of_sent) as lowest_inbox_rate_of_sent
from analytics.mailbox_readiness as readiness
inner join analytics.custom_tag_assignments as tags
    on tags.workspace_id = readiness.workspace_id and tags.mailbox_email = readiness.mailbox_email
group by tags.workspace_label, tags.tag_label
order by tags.workspace_label, tags.tag_label
