-- stg_surveys: Survey answers: CSAT (1-5), NPS (0-10), CES (1-7).
-- Generated from functions/model by `npm run generate:files`; edit the entity, not this file.
-- Latest version of each id wins (by ingestion order).

with raw_records as (
    select * from raw_surveys
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
        kind,
        score,
        comment,
        answered_at,
        substr(cast(cast(at_timezone(answered_at, {{timezone}}) as date) as varchar), 1, 7) as month
    from ranked_versions
    where version_rank = 1
)

select * from final
