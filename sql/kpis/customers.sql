-- customers: NPS and CES answers, churn and MRR movements (ChartMogul's rules), cohort
-- retention and conversion after contact, as numerator ÷ denominator.
-- A subscription runs from started_on (inclusive) to cancelled_on (exclusive). Active at the
-- start = running on the day before the period; churned = active at the start with nothing
-- running on its last day, so customers who joined and left inside the period are in neither.

with survey_scores as (
    select kind, score, month from surveys
    where month in {{months}}
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
        sum(mrr_start) as start_mrr,
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
    where month in {{months}}
        and customer_id is not null
),

conversions as (
    select
        c.customer_id,
        max(case when o.id is not null then 1 else 0 end) as converted
    from contacted as c
    left join orders as o
        on o.customer_id = c.customer_id
        and o.ordered_at > c.created_at
        and to_unixtime(o.ordered_at) - to_unixtime(c.created_at) <= {{conversion_window_days}} * 86400
    group by c.customer_id
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
