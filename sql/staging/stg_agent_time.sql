-- stg_agent_time: Hours each agent worked per day.
-- Generated from functions/model by `npm run generate:files`; edit the entity, not this file.
-- Latest version of each agent_id + date wins (by ingestion order).

with raw_records as (
    select * from raw_agent_time
),

ranked_versions as (
    select
        *,
        row_number() over (
            partition by agent_id, date
            order by _run desc, _seq desc
        ) as version_rank
    from raw_records
),

final as (
    select
        agent_id,
        date,
        hours_worked,
        hours_on_tickets,
        substr(cast(date as varchar), 1, 7) as month
    from ranked_versions
    where version_rank = 1
)

select * from final
