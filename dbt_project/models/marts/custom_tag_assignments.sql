-- The bridge from custom tags to what they are on: one row per tag on a campaign or mailbox.
-- Join a campaign mart on campaign_id, a mailbox or placement mart on mailbox_email (placement's
-- sender_email), to slice it by client or offer; a campaign or mailbox with several tags
-- appears once per tag.
--
-- A mapping is resolved by its resource_id (UNVERIFIED live; the one place this is decided):
-- a loaded campaign's id makes it a campaign's, a loaded mailbox's email a mailbox's. The spec's
-- resource_type contradicts itself (its enum says 1 Account, 2 Campaign; its prose the reverse),
-- so it decides nothing here; a mapping matching neither stays `unresolved` and is never
-- attributed to anything.
with mappings as (
    select * from {{ ref('stg_instantly__custom_tag_mappings') }}
),

tags as (
    select * from {{ ref('stg_instantly__custom_tags') }}
),

campaigns as (
    select
        workspace_id,
        campaign_id
    from {{ ref('int_campaigns__all') }}
),

mailboxes as (
    select
        workspace_id,
        email
    from {{ ref('stg_instantly__accounts') }}
)

select
    mappings.workspace_id,
    workspace_labels.workspace_label,
    mappings.mapping_id,
    mappings.tag_id,
    tags.tag_label,
    case
        when campaigns.campaign_id is not null then 'campaign'
        when mailboxes.email is not null then 'mailbox'
        else 'unresolved'
    end as resource_kind,
    campaigns.campaign_id,
    mailboxes.email as mailbox_email,
    mappings.resource_id,
    mappings.resource_type_code,
    mappings.created_at as assigned_at
from mappings
left join tags on mappings.workspace_id = tags.workspace_id and mappings.tag_id = tags.tag_id
left join campaigns on mappings.workspace_id = campaigns.workspace_id and mappings.resource_id = campaigns.campaign_id
left join mailboxes on mappings.workspace_id = mailboxes.workspace_id and lower(mappings.resource_id) = mailboxes.email
{{ join_workspace_labels('mappings.workspace_id') }}
