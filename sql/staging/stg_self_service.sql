-- stg_self_service: Self-service (help centre, portal) sessions.
-- Generated from functions/model by `npm run generate:files`; edit the entity, not this file.
-- Latest version of each session_id wins (by ingestion order).

with raw_records as (
    select * from raw_self_service
),

ranked_versions as (
    select
        *,
        row_number() over (
            partition by session_id
            order by _run desc, _seq desc
        ) as version_rank
    from raw_records
),

final as (
    select
        session_id,
        customer_id,
        started_at,
        completed,
        screens,
        clicks,
        substr(cast(cast(at_timezone(started_at, {{timezone}}) as date) as varchar), 1, 7) as month
    from ranked_versions
    where version_rank = 1
)

select * from final
