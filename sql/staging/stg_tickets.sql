-- stg_tickets: Support tickets (cases), one row per ticket; the latest updated_at wins.
-- Generated from functions/model by `npm run generate:files`; edit the entity, not this file.
-- Latest version of each id wins (by updated_at, then ingestion order); deleted records are dropped.

with raw_records as (
    select * from raw_tickets
),

ranked_versions as (
    select
        *,
        row_number() over (
            partition by id
            order by updated_at desc nulls last, _run desc, _seq desc
        ) as version_rank
    from raw_records
),

final as (
    select
        id,
        source,
        customer_id,
        channel,
        category,
        priority,
        status,
        is_deleted,
        created_at,
        first_response_at,
        solved_at,
        closed_at,
        updated_at,
        assignee_id,
        team,
        group_id,
        is_escalated,
        reopens,
        agent_replies,
        customer_replies,
        handle_seconds,
        satisfaction,
        substr(cast(cast(at_timezone(created_at, {{timezone}}) as date) as varchar), 1, 7) as month
    from ranked_versions
    where version_rank = 1
        and not is_deleted
)

select * from final
