-- retention_cohort: each signup-month cohort in each later month: its customers, and how many
-- of them have a subscription running on the month's last day (cohort_retention's rule).

with calendar as (
    select month, last_day
    from {{mart_months}} as calendar (month, day_before, last_day)
),

members as (
    select
        id as customer_id,
        substr(cast(signed_up_on as varchar), 1, 7) as cohort
    from customers
),

standing as (
    select
        m.cohort,
        k.month,
        m.customer_id,
        count_if(s.started_on <= k.last_day and (s.cancelled_on is null or s.cancelled_on > k.last_day)) > 0 as is_active
    from members as m
    cross join calendar as k
    left join subscriptions as s
        on s.customer_id = m.customer_id
    where m.cohort < k.month
    group by m.cohort, k.month, m.customer_id
),

final as (
    select
        cohort,
        (cast(substr(month, 1, 4) as bigint) * 12 + cast(substr(month, 6, 2) as bigint))
            - (cast(substr(cohort, 1, 4) as bigint) * 12 + cast(substr(cohort, 6, 2) as bigint)) as months_since_signup,
        count(*) as customers,
        cast(count_if(is_active) as bigint) as active,
        month
    from standing
    group by cohort, month
)

select * from final
