-- stg_subscriptions: Subscriptions, running from started_on (inclusive) to cancelled_on (exclusive).
-- Generated from functions/model by `npm run generate:files`; edit the entity, not this file.
-- Latest version of each customer_id + plan + started_on wins (by ingestion order).

with raw_records as (
    select * from raw_subscriptions
),

ranked_versions as (
    select
        *,
        row_number() over (
            partition by customer_id, plan, started_on
            order by _run desc, _seq desc
        ) as version_rank
    from raw_records
),

final as (
    select
        customer_id,
        plan,
        mrr,
        started_on,
        cancelled_on,
        cancel_reason
    from ranked_versions
    where version_rank = 1
)

select * from final
