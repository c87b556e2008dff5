-- One row per seed email Instantly sent in a test (a sent record), with what became of it: the
-- received record that answers it, or none (missing). A receipt answers the latest send of the
-- same test, sender and seed address made at or before it, at most a day earlier; a send with
-- several receipts keeps the first. The sender's ESP is on received records only: a
-- send takes its receipt's, else the latest its sender's receipts carried, else the one its
-- mailbox's provider implies.
with records as (
    select
        workspace_id,
        record_id,
        test_id,
        created_at,
        created_date,
        coalesce(lower(sender_email), 'Unknown') as sender_email,
        lower(recipient_email) as recipient_email,
        recipient_geo as geo,
        recipient_esp as esp,
        recipient_type,
        is_spam,
        has_category,
        sender_esp_code,
        is_received
    from {{ ref('stg_instantly__inbox_placement_records') }}
),

sends as (
    select * from records
    where not is_received
),

receipts as (
    select * from records
    where is_received
),

sender_esps as (
    select
        workspace_id,
        sender_email,
        sender_esp_code
    from {{ latest_rows('(select * from receipts where sender_esp_code is not null)',
                        'workspace_id, sender_email', 'created_at desc, record_id') }} as latest_receipts
),

provider_esps as (
    select
        workspace_id,
        email as sender_email,
        {{ account_provider_esp_code('provider_code') }} as sender_esp_code
    from {{ ref('stg_instantly__accounts') }}
),

answers as (
    select
        sends.record_id as sent_record_id,
        receipts.created_at as received_at,
        receipts.record_id as received_record_id,
        receipts.is_spam,
        receipts.has_category,
        receipts.sender_esp_code,
        row_number() over (partition by receipts.record_id order by sends.created_at desc) as send_rank
    from receipts
    inner join sends
        on
            receipts.test_id = sends.test_id
            and receipts.sender_email = sends.sender_email
            and receipts.recipient_email = sends.recipient_email
            and receipts.created_at >= sends.created_at
            and sends.created_at > {{ dbt.dateadd('day', -1, 'receipts.created_at') }}
),

first_answers as (
    select
        sent_record_id,
        is_spam,
        has_category,
        sender_esp_code,
        row_number() over (partition by sent_record_id order by received_at, received_record_id) as answer_rank
    from answers
    where send_rank = 1
)

select
    sends.workspace_id,
    sends.test_id,
    sends.record_id as sent_record_id,
    sends.created_date as sent_date,
    sends.sender_email,
    {{ instantly_esp('coalesce(first_answers.sender_esp_code, sender_esps.sender_esp_code, provider_esps.sender_esp_code)') }}
        as sender_esp,
    sends.geo,
    sends.esp,
    sends.recipient_type,
    first_answers.sent_record_id is not null as is_received,
    coalesce(first_answers.is_spam, false) as is_spam,
    coalesce(first_answers.has_category, false) and not coalesce(first_answers.is_spam, false) as is_category
from sends
left join first_answers
    on sends.record_id = first_answers.sent_record_id and first_answers.answer_rank = 1
left join sender_esps
    on sends.workspace_id = sender_esps.workspace_id and sends.sender_email = sender_esps.sender_email
left join provider_esps
    on sends.workspace_id = provider_esps.workspace_id and sends.sender_email = provider_esps.sender_email
