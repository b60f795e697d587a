-- customer_month: each customer's month, for churn and MRR movements as the catalog counts them
-- (ChartMogul's rules): active at the start = a subscription running on the day before the
-- month; active at the end = one running on its last day; churned = active at the start with
-- nothing running at the end. A customer who joined and left inside the month has no row.
-- A subscription runs from started_on (inclusive) to cancelled_on (exclusive).

with calendar as (
    select month, day_before, last_day
    from {{mart_months}} as calendar (month, day_before, last_day)
),

running as (
    select
        s.customer_id,
        k.month,
        sum(case when s.started_on <= k.day_before and (s.cancelled_on is null or s.cancelled_on > k.day_before) then s.mrr else 0 end) as mrr_start,
        sum(case when s.started_on <= k.last_day and (s.cancelled_on is null or s.cancelled_on > k.last_day) then s.mrr else 0 end) as mrr_end,
        count_if(s.started_on <= k.day_before and (s.cancelled_on is null or s.cancelled_on > k.day_before)) as running_at_start,
        count_if(s.started_on <= k.last_day and (s.cancelled_on is null or s.cancelled_on > k.last_day)) as running_at_end
    from subscriptions as s
    cross join calendar as k
    where s.started_on <= k.last_day
        and (s.cancelled_on is null or s.cancelled_on > k.day_before)
    group by s.customer_id, k.month
),

final as (
    select
        r.customer_id,
        coalesce(c.segment, 'unknown') as segment,
        r.running_at_start > 0 as active_at_start,
        r.running_at_end > 0 as active_at_end,
        r.running_at_start > 0 and r.running_at_end = 0 as churned,
        cast(r.mrr_start as double) as mrr_start,
        cast(r.mrr_end as double) as mrr_end,
        r.month
    from running as r
    left join customers as c
        on c.id = r.customer_id
    where r.running_at_start > 0 or r.running_at_end > 0
)

select * from final
