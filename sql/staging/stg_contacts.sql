-- stg_contacts: Queued contacts (calls, chats) as a contact centre records them (Amazon Connect style).
-- Generated from functions/model by `npm run generate:files`; edit the entity, not this file.
-- Latest version of each id wins (by ingestion order).

with raw_records as (
    select * from raw_contacts
),

ranked_versions as (
    select
        *,
        row_number() over (
            partition by id
            order by _run desc, _seq desc
        ) as version_rank
    from raw_records
),

final as (
    select
        id,
        ticket_id,
        customer_id,
        channel,
        queued_at,
        answered_at,
        ended_at,
        abandoned,
        talk_seconds,
        hold_seconds,
        after_contact_seconds,
        agent_id,
        substr(cast(cast(at_timezone(queued_at, {{timezone}}) as date) as varchar), 1, 7) as month
    from ranked_versions
    where version_rank = 1
)

select * from final
