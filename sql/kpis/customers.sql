-- customers: NPS and CES answers, churn and MRR movements (ChartMogul's rules), cohort
-- retention and conversion after contact, as numerator ÷ denominator.
-- A subscription runs from started_on (inclusive) to cancelled_on (exclusive). Active at the
-- start = running on the day before the period; churned = active at the start with nothing
-- running on its last day, so customers who joined and left inside the period are in neither.

with survey_scores as (
    select kind, score, month from surveys
    where month in {{months}} and answered_at < {{period_end}}
),

mrr_by_customer as (
    select
        customer_id,
        sum(case when started_on <= {{day_before_period}} and (cancelled_on is null or cancelled_on > {{day_before_period}}) then mrr else 0 end) as mrr_start,
        sum(case when started_on <= {{period_last_day}} and (cancelled_on is null or cancelled_on > {{period_last_day}}) then mrr else 0 end) as mrr_end,
        count_if(started_on <= {{day_before_period}} and (cancelled_on is null or cancelled_on > {{day_before_period}})) as running_at_start,
        count_if(started_on <= {{period_last_day}} and (cancelled_on is null or cancelled_on > {{period_last_day}})) as running_at_end
    from subscriptions
    group by customer_id
),

active_at_start as (
    select
        customer_id,
        cast(mrr_start as double) as mrr_start,
        cast(mrr_end as double) as mrr_end,
        running_at_end = 0 as is_churned
    from mrr_by_customer
    where running_at_start > 0
),

movements as (
    select
        count(*) as customers,
        count_if(is_churned) as churned,
        coalesce(sum(mrr_start), 0) as start_mrr,
        sum(case when is_churned then mrr_start else 0 end) as churned_mrr,
        sum(case when not is_churned and mrr_end < mrr_start then mrr_start - mrr_end else 0 end) as contraction_mrr,
        sum(case when not is_churned and mrr_end > mrr_start then mrr_end - mrr_start else 0 end) as expansion_mrr
    from active_at_start
),

cohorts as (
    select
        substr(cast(c.signed_up_on as varchar), 1, 7) as cohort,
        c.id as customer_id,
        coalesce(m.running_at_end, 0) > 0 as is_active_at_end
    from customers as c
    left join mrr_by_customer as m
        on c.id = m.customer_id
    where c.signed_up_on < {{period_first_day}}
),

contacted as (
    select customer_id, created_at
    from tickets_created
    where month in {{months}} and created_at < {{period_end}}
        and customer_id is not null
),

-- Contacts and later orders of each customer on one time line. An order sorts before a contact
-- at the same instant, so the first order after a contact is strictly later; a window over the
-- time line finds it without a range join, in time linear in the rows.
later_orders as (
    select customer_id, ordered_at
    from orders
    where month > {{previous_month}}
        and ordered_at > {{period_start}}
        and customer_id in (select customer_id from contacted)
),

timeline as (
    select customer_id, created_at as event_at, 1 as is_contact from contacted
    union all
    select customer_id, ordered_at, 0 from later_orders
),

next_orders as (
    select
        customer_id,
        event_at,
        is_contact,
        min(case when is_contact = 0 then event_at end) over (
            partition by customer_id
            order by event_at, is_contact
            rows between 1 following and unbounded following
        ) as next_order_at
    from timeline
),

conversions as (
    select
        customer_id,
        max(case when to_unixtime(next_order_at) - to_unixtime(event_at) <= {{conversion_window_days}} * 86400 then 1 else 0 end) as converted
    from next_orders
    where is_contact = 1
    group by customer_id
),

final as (
    select 'nps' as kpi, '' as dimension, '' as member, cast(100 * (count_if(score >= 9) - count_if(score <= 6)) as double) as numerator, cast(count(*) as double) as denominator
    from survey_scores where kind = 'nps'
    union all
    select 'nps', 'answer', 'promoters', count_if(score >= 9), count(*) from survey_scores where kind = 'nps'
    union all
    select 'nps', 'answer', 'passives', count_if(score between 7 and 8), count(*) from survey_scores where kind = 'nps'
    union all
    select 'nps', 'answer', 'detractors', count_if(score <= 6), count(*) from survey_scores where kind = 'nps'
    union all
    select 'nps', 'month', month, 100 * (count_if(score >= 9) - count_if(score <= 6)), count(*) from survey_scores where kind = 'nps' group by month
    union all
    select 'ces', '', '', sum(score), count(*) from survey_scores where kind = 'ces'
    union all
    select 'ces', 'month', month, sum(score), count(*) from survey_scores where kind = 'ces' group by month
    union all
    select 'customer_churn_rate', '', '', churned, customers from movements
    union all
    select 'customer_retention_rate', '', '', customers - churned, customers from movements
    union all
    select 'gross_revenue_churn', '', '', churned_mrr + contraction_mrr, start_mrr from movements
    union all
    select 'gross_revenue_churn', 'movement', 'churn', churned_mrr, start_mrr from movements
    union all
    select 'gross_revenue_churn', 'movement', 'contraction', contraction_mrr, start_mrr from movements
    union all
    select 'net_revenue_retention', '', '', start_mrr + expansion_mrr - contraction_mrr - churned_mrr, start_mrr from movements
    union all
    select 'net_revenue_retention', 'movement', 'expansion', expansion_mrr, start_mrr from movements
    union all
    select 'cohort_retention', 'cohort', cohort, count_if(is_active_at_end), count(*) from cohorts group by cohort
    union all
    select 'cohort_retention', '', '', count_if(is_active_at_end), count(*) from cohorts where cohort = {{previous_month}}
    union all
    select 'conversion_after_contact_rate', '', '', sum(converted), count(*) from conversions
)

select * from final
