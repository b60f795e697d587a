-- stg_ticket_events: Optional audit trail of ticket events.
-- Generated from functions/model by `npm run generate:files`; edit the entity, not this file.
-- Latest version of each ticket_id + at + kind wins (by ingestion order).

with raw_records as (
    select * from raw_ticket_events
),

ranked_versions as (
    select
        *,
        row_number() over (
            partition by ticket_id, "at", kind
            order by _run desc, _seq desc
        ) as version_rank
    from raw_records
),

final as (
    select
        ticket_id,
        "at",
        kind,
        actor,
        substr(cast(cast(at_timezone("at", {{timezone}}) as date) as varchar), 1, 7) as month
    from ranked_versions
    where version_rank = 1
)

select * from final
