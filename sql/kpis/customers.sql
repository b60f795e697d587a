-- customers: NPS and CES answers, churn and MRR movements (ChartMogul's rules), cohort
-- retention and conversion after contact, as numerator ÷ denominator.
-- A subscription runs from started_on (inclusive) to cancelled_on (exclusive). Active at the
-- start = running on the day before the period; churned = active at the start with nothing
-- running on its last day, so customers who joined and left inside the period are in neither.
-- Measured for each period of report_periods at once (functions/stages/periodsSql.ts): a record
-- counts in the period whose months hold its month, if it came before the period's end (a month
-- to date ends early); a headline is one row per period, even a period with nothing to count.

with periods as (
    select * from {{report_periods}} as p
),

-- Each period's months, with the period's end: a month to date ends before its month does.
period_months as (
    select pm.period, pm.month, p.period_end
    from {{report_period_months}} as pm
    inner join periods as p
        on pm.period = p.period
),

survey_scores as (
    select pm.period, s.kind, s.score, s.month
    from surveys as s
    inner join period_months as pm
        on s.month = pm.month
    where s.month in {{months}} and s.answered_at < pm.period_end
),

survey_totals as (
    select
        period,
        kind,
        count_if(score >= 9) as promoters,
        count_if(score between 7 and 8) as passives,
        count_if(score <= 6) as detractors,
        sum(score) as score_sum,
        count(*) as answers
    from survey_scores
    group by period, kind
),

-- One period's NPS or CES answers, zeros where it had none (one query per period gave that).
nps_answers as (
    select
        p.period,
        coalesce(t.promoters, 0) as promoters,
        coalesce(t.passives, 0) as passives,
        coalesce(t.detractors, 0) as detractors,
        coalesce(t.answers, 0) as answers
    from periods as p
    left join survey_totals as t
        on p.period = t.period
        and t.kind = 'nps'
),

ces_answers as (
    select p.period, t.score_sum, coalesce(t.answers, 0) as answers
    from periods as p
    left join survey_totals as t
        on p.period = t.period
        and t.kind = 'ces'
),

-- Each customer's MRR on the day before the period and on its last day. Only the subscriptions
-- running on one of those days count, so each is joined to the periods it overlaps.
mrr_by_customer as (
    select
        p.period,
        s.customer_id,
        sum(case when s.started_on <= p.day_before_period and (s.cancelled_on is null or s.cancelled_on > p.day_before_period) then s.mrr else 0 end) as mrr_start,
        sum(case when s.started_on <= p.period_last_day and (s.cancelled_on is null or s.cancelled_on > p.period_last_day) then s.mrr else 0 end) as mrr_end,
        count_if(s.started_on <= p.day_before_period and (s.cancelled_on is null or s.cancelled_on > p.day_before_period)) as running_at_start,
        count_if(s.started_on <= p.period_last_day and (s.cancelled_on is null or s.cancelled_on > p.period_last_day)) as running_at_end
    from subscriptions as s
    inner join periods as p
        on s.started_on <= p.period_last_day
        and (s.cancelled_on is null or s.cancelled_on > p.day_before_period)
    group by p.period, s.customer_id
),

active_at_start as (
    select
        period,
        customer_id,
        mrr_start,
        mrr_end,
        running_at_end = 0 as is_churned
    from mrr_by_customer
    where running_at_start > 0
),

movement_totals as (
    select
        period,
        count(*) as customers,
        count_if(is_churned) as churned,
        -- MRR is the lake's decimal(18,2): summed exactly, cast to double once summed.
        cast(sum(mrr_start) as double) as start_mrr,
        cast(sum(case when is_churned then mrr_start else 0 end) as double) as churned_mrr,
        cast(sum(case when not is_churned and mrr_end < mrr_start then mrr_start - mrr_end else 0 end) as double) as contraction_mrr,
        cast(sum(case when not is_churned and mrr_end > mrr_start then mrr_end - mrr_start else 0 end) as double) as expansion_mrr
    from active_at_start
    group by period
),

movements as (
    select
        p.period,
        coalesce(m.customers, 0) as customers,
        coalesce(m.churned, 0) as churned,
        coalesce(m.start_mrr, 0) as start_mrr,
        m.churned_mrr,
        m.contraction_mrr,
        m.expansion_mrr
    from periods as p
    left join movement_totals as m
        on p.period = m.period
),

-- Every signup-month cohort before the period: its customers (counted by signup day, a short
-- list, then set against the periods) and those with a subscription running on the last day.
signups as (
    select
        substr(cast(signed_up_on as varchar), 1, 7) as cohort,
        signed_up_on,
        count(*) as customers
    from customers
    group by substr(cast(signed_up_on as varchar), 1, 7), signed_up_on
),

cohort_sizes as (
    select p.period, s.cohort, sum(s.customers) as customers
    from signups as s
    inner join periods as p
        on s.signed_up_on < p.period_first_day
    group by p.period, s.cohort
),

cohort_active as (
    select
        p.period,
        substr(cast(c.signed_up_on as varchar), 1, 7) as cohort,
        count(*) as active
    from mrr_by_customer as m
    inner join periods as p
        on m.period = p.period
    inner join customers as c
        on m.customer_id = c.id
    where m.running_at_end > 0
        and c.signed_up_on < p.period_first_day
    group by p.period, substr(cast(c.signed_up_on as varchar), 1, 7)
),

cohorts as (
    select s.period, s.cohort, coalesce(a.active, 0) as active, s.customers
    from cohort_sizes as s
    left join cohort_active as a
        on s.period = a.period
        and s.cohort = a.cohort
),

previous_cohort as (
    select p.period, coalesce(c.active, 0) as active, coalesce(c.customers, 0) as customers
    from periods as p
    left join cohorts as c
        on p.period = c.period
        and p.previous_month = c.cohort
),

contacted as (
    select pm.period, t.customer_id, t.created_at
    from tickets_created as t
    inner join period_months as pm
        on t.month = pm.month
    where t.month in {{months}} and t.created_at < pm.period_end
        and t.customer_id is not null
),

contacted_customers as (
    select distinct period, customer_id
    from contacted
),

-- Contacts and later orders of each customer on one time line. An order sorts before a contact
-- at the same instant, so the first order after a contact is strictly later; a window over the
-- time line finds it without a range join, in time linear in the rows. An order more than the
-- window after the period's end is more than the window after each of its contacts: left out,
-- it changes no conversion, and a customer's orders meet only the periods just before them.
later_orders as (
    select c.period, o.customer_id, o.ordered_at
    from orders as o
    inner join contacted_customers as c
        on o.customer_id = c.customer_id
    inner join periods as p
        on c.period = p.period
    where o.month > p.previous_month
        and o.ordered_at > p.period_start
        and to_unixtime(o.ordered_at) - to_unixtime(p.period_end) <= {{conversion_window_days}} * 86400
),

timeline as (
    select period, customer_id, created_at as event_at, 1 as is_contact from contacted
    union all
    select period, customer_id, ordered_at, 0 from later_orders
),

next_orders as (
    select
        period,
        customer_id,
        event_at,
        is_contact,
        min(case when is_contact = 0 then event_at end) over (
            partition by period, customer_id
            order by event_at, is_contact
            rows between 1 following and unbounded following
        ) as next_order_at
    from timeline
),

conversions as (
    select
        period,
        customer_id,
        max(case when to_unixtime(next_order_at) - to_unixtime(event_at) <= {{conversion_window_days}} * 86400 then 1 else 0 end) as converted
    from next_orders
    where is_contact = 1
    group by period, customer_id
),

conversion_totals as (
    select period, sum(converted) as converted, count(*) as contacted
    from conversions
    group by period
),

conversion_headlines as (
    select p.period, c.converted, coalesce(c.contacted, 0) as contacted
    from periods as p
    left join conversion_totals as c
        on p.period = c.period
),

final as (
    select period, 'nps' as kpi, '' as dimension, '' as member, cast(100 * (promoters - detractors) as double) as numerator, cast(answers as double) as denominator
    from nps_answers
    union all
    select period, 'nps', 'answer', 'promoters', promoters, answers from nps_answers
    union all
    select period, 'nps', 'answer', 'passives', passives, answers from nps_answers
    union all
    select period, 'nps', 'answer', 'detractors', detractors, answers from nps_answers
    union all
    select period, 'nps', 'month', month, 100 * (count_if(score >= 9) - count_if(score <= 6)), count(*) from survey_scores where kind = 'nps' group by period, month
    union all
    select period, 'ces', '', '', score_sum, answers from ces_answers
    union all
    select period, 'ces', 'month', month, sum(score), count(*) from survey_scores where kind = 'ces' group by period, month
    union all
    select period, 'customer_churn_rate', '', '', churned, customers from movements
    union all
    select period, 'customer_retention_rate', '', '', customers - churned, customers from movements
    union all
    select period, 'gross_revenue_churn', '', '', churned_mrr + contraction_mrr, start_mrr from movements
    union all
    select period, 'gross_revenue_churn', 'movement', 'churn', churned_mrr, start_mrr from movements
    union all
    select period, 'gross_revenue_churn', 'movement', 'contraction', contraction_mrr, start_mrr from movements
    union all
    select period, 'net_revenue_retention', '', '', start_mrr + expansion_mrr - contraction_mrr - churned_mrr, start_mrr from movements
    union all
    select period, 'net_revenue_retention', 'movement', 'expansion', expansion_mrr, start_mrr from movements
    union all
    select period, 'cohort_retention', 'cohort', cohort, active, customers from cohorts
    union all
    select period, 'cohort_retention', '', '', active, customers from previous_cohort
    union all
    select period, 'conversion_after_contact_rate', '', '', converted, contacted from conversion_headlines
)

select * from final
