import { renderSql, sqlString, type SqlValue } from '../dialect/sqlText.ts';
import { kpiById } from '../kpis/catalog.ts';
import type { EntityName } from '../model/index.ts';
import { addMonths, lastYearPeriod, monthRange, previousPeriod } from '../kpis/period.ts';
import type { PeriodInfo } from '../kpis/types.ts';
import type { Row } from '../ports/queryEngine.ts';
import {
  financeWindows,
  type FinanceAmounts,
  type FinanceDetailRow,
  type Measured,
  type FinanceInputs,
  type FinanceMember,
  type FinanceSlice,
  type FinanceWindow,
} from '../report/finance/model.ts';
import type { StageContext } from './context.ts';
import { notMeasuredReason } from './evaluate.ts';
import { presentEntities, registerLake } from './lake.ts';
import { absentUnderSlice, sliceKey } from './slice.ts';

/** The months each window covers, and the 13 months of history ending at the period's last month. */
export function financeMonths(period: PeriodInfo): { windows: Record<FinanceWindow, PeriodInfo>; history: string[] } {
  const last = period.months[period.months.length - 1]!;
  return {
    windows: { current: period, previous: previousPeriod(period), lastYear: lastYearPeriod(period) },
    history: monthRange(addMonths(last, -12), last),
  };
}

/**
 * Σ amount, exact whatever the order the engine adds the rows in: each amount is the mart's, to
 * 1e-9 of the currency (docs/design.md, "Exact sums").
 */
const exactSum = 'cast(sum(cast(amount as decimal(38, 9))) as double)';

/**
 * The SQL that reads the trc mart for the finance report, valid in Trino and DuckDB: the mart's
 * rows of the months asked for, each tagged with the window(s) its month is in. A
 * month may sit in two windows (a 13-month range and the same range a year earlier overlap).
 */
export function financeRowsSql(period: PeriodInfo): { windowed: string; history: string } {
  const { windows, history } = financeMonths(period);
  const pairs = financeWindows.flatMap((w) => windows[w].months.map((m) => `(${sqlString(w)}, ${sqlString(m)})`));
  const months = [...new Set([...history, ...financeWindows.flatMap((w) => windows[w].months)])].sort();
  const trcRows = `trc_rows as (
    select * from trc
    where month in {{months}}
)`;
  const params: Record<string, SqlValue> = { months };
  const windowed = renderSql(
    `with ${trcRows},

period_windows as (
    select period_window, month
    from (values ${pairs.join(', ')}) as window_months (period_window, month)
),

windowed as (
    select
        w.period_window,
        t.category,
        t.channel,
        t.team,
        t.segment,
        t.component,
        t.amount
    from trc_rows as t
    inner join period_windows as w
        on t.month = w.month
),

final as (
    select period_window, 'category' as dimension, category as member, '' as channel, '' as team, ${exactSum} as amount from windowed group by period_window, category
    union all
    select period_window, 'channel', channel, '', '', ${exactSum} from windowed group by period_window, channel
    union all
    select period_window, 'team', team, '', '', ${exactSum} from windowed group by period_window, team
    union all
    select period_window, 'segment', segment, '', '', ${exactSum} from windowed group by period_window, segment
    union all
    select period_window, 'component', component, '', '', ${exactSum} from windowed group by period_window, component
    union all
    select period_window, 'detail', category, channel, team, ${exactSum} from windowed group by period_window, category, channel, team
)

select * from final`,
    params,
  );
  const monthly = renderSql(
    `with ${trcRows},

final as (
    select
        month,
        category,
        ${exactSum} as amount
    from trc_rows
    where month in {{history}}
    group by
        month,
        category
)

select * from final`,
    { ...params, history },
  );
  return { windowed, history: monthly };
}

/**
 * Revenue per segment and month, as service margin counts it (MRR of the subscriptions running at
 * some time in the month), read back from kpi_monthly: revenue = margin + cost to serve. So the
 * revenue rule stays in sql/kpis/cost.sql alone. Under a slice, its own rows (sliceKey; '' for the whole lake).
 */
export function segmentRevenueSql(period: PeriodInfo, slice = ''): string {
  const { windows } = financeMonths(period);
  const months = [...new Set(financeWindows.flatMap((w) => windows[w].months))].sort();
  return renderSql(
    `select month, member, sum(numerator) as revenue
from kpi_monthly
where month in {{months}}
    and dimension = 'segment'
    and slice = {{slice}}
    and kpi in ('service_margin_by_segment', 'cost_to_serve_by_segment')
group by month, member`,
    { months, slice },
  );
}

/**
 * Why a part of the finance report cannot be measured, in the words kpis.json uses for a KPI
 * (notMeasuredReason): the KPI `like` needing only `entities`. Null when it can be measured.
 */
function partReason(ctx: StageContext, like: string, entities: EntityName[], slice?: FinanceSlice): string | null {
  const definition = { ...kpiById(like)!, inputs: entities, anyOf: undefined };
  return notMeasuredReason(definition, presentEntities(ctx.config), ctx.config, slice && absentUnderSlice(slice));
}

/** The amounts, or why they cannot be measured. */
const measuredAs = <T>(value: T, reason: string | null): Measured<T> =>
  reason === null ? value : { notMeasured: reason };

const emptyAmounts = (): FinanceAmounts => ({ current: null, previous: null, lastYear: null });

function add(amounts: FinanceAmounts, window: FinanceWindow, value: unknown): void {
  amounts[window] = (amounts[window] ?? 0) + Number(value ?? 0);
}

function members(rows: Row[], dimension: string): FinanceMember[] {
  const byMember = new Map<string, FinanceMember>();
  for (const row of rows.filter((r) => r.dimension === dimension)) {
    const member = String(row.member);
    const entry = byMember.get(member) ?? { member, ...emptyAmounts() };
    add(entry, row.period_window as FinanceWindow, row.amount);
    byMember.set(member, entry);
  }
  return [...byMember.values()];
}

/**
 * The finance report's inputs from the trc mart: the period, the previous period and the same
 * period last year, and 13 months by category. Under a slice, the mart's rows of the slice
 * (its slice column; the marts stage built them from the slice's records alone,
 * functions/stages/slice.ts), so its numbers are the sliced kpis.json's.
 */
export async function financeInputs(ctx: StageContext, slice?: FinanceSlice): Promise<FinanceInputs> {
  await registerLake(ctx, slice);
  const { windows, history } = financeMonths(ctx.period);
  const sql = financeRowsSql(ctx.period);
  const windowed = await ctx.engine.query(sql.windowed);
  const monthly = await ctx.engine.query(sql.history);
  // From the curated rows the mart sums (a slice's, under a slice).
  const [first] = await ctx.engine.query(
    'select min(month) as month from (select month from costs union all select month from agent_time) as cost_rows',
  );

  const components = members(windowed, 'component');
  const component = (name: string) => components.find((c) => c.member === name) ?? { member: name, ...emptyAmounts() };
  const total = emptyAmounts();
  for (const row of windowed.filter((r) => r.dimension === 'component'))
    add(total, row.period_window as FinanceWindow, row.amount);

  const detail = new Map<string, FinanceDetailRow>();
  for (const row of windowed.filter((r) => r.dimension === 'detail')) {
    const key = JSON.stringify([row.member, row.channel, row.team]);
    const entry = detail.get(key) ?? {
      category: String(row.member),
      channel: String(row.channel),
      team: String(row.team),
      ...emptyAmounts(),
    };
    add(entry, row.period_window as FinanceWindow, row.amount);
    detail.set(key, entry);
  }

  // Revenue belongs to customers: under a slice, the slice's customers' (those its tickets served).
  const bySegment = new Map<string, FinanceMember>();
  for (const row of await ctx.engine.query(segmentRevenueSql(ctx.period, slice ? sliceKey(slice) : ''))) {
    const segment = String(row.member);
    const entry = bySegment.get(segment) ?? { member: segment, ...emptyAmounts() };
    for (const w of financeWindows) if (windows[w].months.includes(String(row.month))) add(entry, w, row.revenue);
    bySegment.set(segment, entry);
  }
  const segmentRevenue = [...bySegment.values()];

  const describe = (p: PeriodInfo) => ({ id: p.id, label: p.label, months: p.months });
  const cleanSlice = slice ? Object.fromEntries(Object.entries(slice).filter(([, v]) => v !== undefined)) : {};
  return {
    windows: {
      current: describe(windows.current),
      previous: describe(windows.previous),
      lastYear: describe(windows.lastYear),
    },
    slice: Object.keys(cleanSlice).length ? cleanSlice : null,
    // Each part needs its own sources; the total needs both (the total_cost_of_response KPI's rule).
    total: measuredAs(total, partReason(ctx, 'total_cost_of_response', ['agents', 'agent_time', 'costs'], slice)),
    components: {
      directLabour: measuredAs(
        strip(component('direct_labour')),
        partReason(ctx, 'total_cost_of_response', ['agents', 'agent_time'], slice),
      ),
      ledger: measuredAs(strip(component('ledger')), partReason(ctx, 'total_cost_of_response', ['costs'], slice)),
    },
    breakdowns: {
      category: members(windowed, 'category'),
      channel: members(windowed, 'channel'),
      team: members(windowed, 'team'),
      segment: members(windowed, 'segment'),
    },
    // Revenue is MRR by segment: it needs subscriptions and the customers that carry the segment.
    segmentRevenue: measuredAs(
      segmentRevenue,
      partReason(ctx, 'service_margin_by_segment', ['customers', 'subscriptions'], slice),
    ),
    detail: [...detail.values()],
    history: {
      months: history,
      firstMonth: first?.month ? String(first.month) : null,
      points: monthly
        .map((r) => ({ month: String(r.month), category: String(r.category), amount: Number(r.amount ?? 0) }))
        .sort((a, b) => a.month.localeCompare(b.month) || a.category.localeCompare(b.category)),
    },
  };
}

const strip = ({ current, previous, lastYear }: FinanceAmounts): FinanceAmounts => ({ current, previous, lastYear });
