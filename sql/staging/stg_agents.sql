-- stg_agents: Support agents: one row per agent.
-- Generated from functions/model by `npm run generate:files`; edit the entity, not this file.
-- Latest version of each id wins (by ingestion order).

with raw_records as (
    select * from raw_agents
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
        name,
        team,
        hired_on,
        left_on,
        loaded_hourly_cost
    from ranked_versions
    where version_rank = 1
)

select * from final
