import { readSql, renderSql, sqlString, type SqlValue } from '../dialect/sqlText.ts';
import { PulseError } from '../errors.ts';
import { lakeKeys } from '../model/lakeKeys.ts';
import {
  excludedFromTime,
  kpiCatalog,
  responseBase,
  sideMeasures,
  summedAcrossMonths,
  type KpiDefinition,
} from '../kpis/catalog.ts';
import { competitorGaps } from '../kpis/benchmarks.ts';
import { brandTerms, surveyCommentsSql } from '../kpis/brandTerms.ts';
import { explain, topDrivers } from '../kpis/drivers.ts';
import { display } from '../kpis/format.ts';
import { forecastNextMonth } from '../kpis/forecast.ts';
import {
  emptyMeasure,
  measureQueries,
  measureRow,
  memberKey,
  storedMeasureRow,
  toMeasurements,
  type KpiMeasure,
  type MeasureRow,
  type Measurements,
} from '../kpis/measure.ts';
import { addMonths, lastYearPeriod, monthRange, nextMonth, previousPeriod } from '../kpis/period.ts';
import { buildKpi, sampleOf } from '../kpis/rules.ts';
import type {
  DataQuality,
  KpiHistoryPoint,
  KpiQueries,
  KpiReport,
  KpiResult,
  MeasuredKpi,
  PeriodInfo,
} from '../kpis/types.ts';
import { entities } from '../model/index.ts';
import { getJson, putJson } from '../ports/objectStore.ts';
import type { Row } from '../ports/queryEngine.ts';
import { sourceEntities, unfilledFields } from '../config/schema.ts';
import type { StageContext } from './context.ts';
import { absentUnderSlice, describeSlice, sliceKey, type Slice } from './slice.ts';
import { staleSources } from '../kpis/guard.ts';
import { curateStateKey } from './curate.ts';
import { emptyCounts, sourceTotals, stateKey, type SourceState } from './extract.ts';
import { kpiMonthlyMart, presentEntities, registerLake, sourceParams, sqlParams } from './lake.ts';
import { publishReportInputs } from './publish.ts';
import { keepOrCompute, type StageInputs } from './inputsFingerprint.ts';
import { dataSpans, hasData } from './dataSpans.ts';

export const reportKey = lakeKeys.report;
/** A sliced audience's own numbers (docs/design.md storage layout). */
export const audienceReportKey = lakeKeys.audienceReport;
/** The SQL evaluate ran for the period, as the analyst report shows it. */
export const queriesKey = lakeKeys.queries;

/** The report an audience reads: its slice's own when it has a slice, else the period's. */
export const reportKeyFor = (period: string, audience: { name: string; slice?: Slice | undefined }) =>
  audience.slice ? audienceReportKey(period, audience.name) : reportKey(period);

/**
 * The KPI queries of one period, as measure rows; `ran`, when given, receives each query's text and
 * the KPIs its rows held. `only`, when given, names the only queries to run, each with the ids its
 * rows are not wanted for: the engine is sent the query without those rows, so it skips their work.
 */
async function measureRows(
  ctx: StageContext,
  period: PeriodInfo,
  extra: Record<string, SqlValue>,
  ran?: KpiQueries['queries'],
  only?: ReadonlyMap<string, readonly string[]>,
): Promise<MeasureRow[]> {
  // The period is the one row of the periods relations a query may read (sqlParams); its `period`
  // column is left behind by measureRow, which reads only the columns of its kind.
  const params = { ...sqlParams(ctx.config, period), ...extra };
  const rows: MeasureRow[] = [];
  for (const { file, kind } of measureQueries) {
    if (only && !only.has(file)) continue;
    const except = only?.get(file) ?? [];
    const sql = renderSql(readSql(file), params);
    const sent =
      except.length > 0
        ? `select * from (\n${sql}\n) as measured where kpi not in (${except.map(sqlString).join(', ')})`
        : sql;
    const result = await ctx.engine.query(sent);
    ran?.push({ file, kind, sql, kpis: [...new Set(result.map((r) => String(r.kpi)))] });
    rows.push(...result.map((r) => measureRow(kind, r)));
  }
  return rows;
}

/** The KPI queries of one period, each run whole over the curated rows (measureRows). */
async function measure(
  ctx: StageContext,
  period: PeriodInfo,
  extra: Record<string, SqlValue>,
  ran?: KpiQueries['queries'],
): Promise<Measurements> {
  return toMeasurements(await measureRows(ctx, period, extra, ran));
}

export function notMeasuredReason(
  definition: KpiDefinition,
  present: Set<string>,
  config: StageContext['config'],
  sliceAbsent = new Map<string, string>(),
): string | null {
  const cut = [
    ...definition.inputs,
    ...(definition.anyOf && definition.anyOf.every((e) => sliceAbsent.has(e)) ? definition.anyOf : []),
  ].filter((e) => sliceAbsent.has(e));
  if (cut.length > 0 && cut.every((e) => present.has(e)))
    return `not measured in this slice: ${cut.map((e) => sliceAbsent.get(e)).join('; ')}`;
  const missing = definition.inputs.filter((e) => !present.has(e));
  if (definition.anyOf && !definition.anyOf.some((e) => present.has(e)))
    missing.push(definition.anyOf.join(' or ') as never);
  if (missing.length > 0)
    return `needs ${missing.join(', ')}: no source provides ${missing.length > 1 ? 'them' : 'it'}`;
  if (definition.needsConfig === 'benchmarks' && !config.benchmarks) return 'needs benchmarks in the config';
  const unfilled = unfilledFields(config);
  const fields = [
    ...(definition.fields ?? []),
    ...(definition.fieldsWithout && !present.has(definition.fieldsWithout.entity)
      ? definition.fieldsWithout.fields
      : []),
  ];
  const lacking = fields.filter((f) => unfilled.has(f));
  if (lacking.length > 0)
    return `needs ${lacking.join(', ')}: no source fills it (${[...new Set(lacking.flatMap((f) => unfilled.get(f)!))].join(', ')} cannot: its API has no such field)`;
  return null;
}

/** The KPI and side-measure ids of kpi_monthly rows that one KPI query wrote, sorted. */
const idsOf = (rows: readonly Row[], file: string): string[] =>
  [...new Set(rows.filter((r) => r.query === file).map((r) => String(r.kpi)))].sort();

/**
 * A one-month period's measurements of one slice ('' for the whole lake) as the marts stage stored
 * them in kpi_monthly, from the very SQL measure() runs (kpiMonthlyRowsSql): read back, not recomputed.
 * `ran`, when given, receives each KPI query rendered for the period, marked as read from
 * kpi_monthly, with the KPIs its stored rows hold. Undefined for a longer period, a partial one,
 * or a month the mart holds nothing for (measure() runs then).
 */
async function storedMeasure(
  ctx: StageContext,
  period: PeriodInfo,
  slice: string,
  extra: Record<string, SqlValue>,
  ran?: KpiQueries['queries'],
): Promise<Measurements | undefined> {
  // kpi_monthly holds whole months: a period to date (and its like-for-like comparisons) is measured.
  if (period.months.length !== 1 || period.partial) return undefined;
  const rows = await ctx.engine.query(
    renderSql(
      `select kpi, dimension, member, kind, numerator, denominator, p50, p90, mean, n, query
      from kpi_monthly where month = {{month}} and slice = {{slice}}`,
      { month: period.months[0]!, slice },
    ),
  );
  if (rows.length === 0) return undefined;
  const params = { ...sqlParams(ctx.config, period), ...extra };
  for (const { file, kind } of measureQueries) {
    const kpis = idsOf(rows, file);
    ran?.push({ file, kind, sql: renderSql(readSql(file), params), kpis, readFrom: kpiMonthlyMart });
  }
  return toMeasurements(rows.map(storedMeasureRow));
}

/**
 * A period of several whole months, every one of which kpi_monthly holds for the slice ('' for
 * the whole lake): a quarter or a range (docs/design.md, "Quarters and ranges"). The KPIs and side
 * measures the catalog sums across months (summedAcrossMonths) are their months' ratio rows with
 * numerators and denominators summed, as one query over the period counts them; the others (the
 * medians, the stocks, the distinct counts) are measured by their queries over the curated rows,
 * each query run only when it measures one of them and kept to those. `ran`, when given, receives
 * each query with the KPIs read from kpi_monthly, and each query run with the KPIs it measured.
 * Undefined for a one-month or partial period, or when kpi_monthly lacks one of its months.
 */
async function summedMeasure(
  ctx: StageContext,
  period: PeriodInfo,
  slice: string,
  extra: Record<string, SqlValue>,
  ran?: KpiQueries['queries'],
): Promise<Measurements | undefined> {
  if (period.months.length < 2 || period.partial) return undefined;
  const where = { months: period.months, slice, summed: [...summedAcrossMonths] };
  const held = await ctx.engine.query(
    renderSql(
      'select distinct month, query, kpi from kpi_monthly where month in {{months}} and slice = {{slice}}',
      where,
    ),
  );
  if (new Set(held.map((r) => String(r.month))).size < period.months.length) return undefined;
  const rows = await ctx.engine.query(
    renderSql(
      `select kpi, dimension, member, kind, query, sum(numerator) as numerator, sum(denominator) as denominator
      from kpi_monthly where month in {{months}} and slice = {{slice}} and kpi in {{summed}}
      group by kpi, dimension, member, kind, query`,
      where,
    ),
  );
  const params = { ...sqlParams(ctx.config, period), ...extra };
  for (const { file, kind } of measureQueries) {
    const kpis = idsOf(rows, file);
    if (kpis.length > 0)
      ran?.push({ file, kind, sql: renderSql(readSql(file), params), kpis, readFrom: kpiMonthlyMart });
  }
  // Each query that measures an id not summed runs, without the rows of the ids it sums.
  const only = new Map<string, string[]>();
  for (const { file } of measureQueries) {
    const ids = idsOf(held, file);
    if (ids.some((id) => !summedAcrossMonths.has(id)))
      only.set(
        file,
        ids.filter((id) => summedAcrossMonths.has(id)),
      );
  }
  const whole = await measureRows(ctx, period, extra, ran, only);
  return toMeasurements([...rows.map(storedMeasureRow), ...whole]);
}

/**
 * A slice's rows are in kpi_monthly when the marts were built with it configured: a slice added
 * since, evaluated before the marts stage runs again, would read as an empty history. Refused.
 * Asked of the history's months alone, so that Athena reads those partitions only.
 */
async function requireSliceRows(ctx: StageContext, slice: string, months: string[]): Promise<void> {
  const [held] = await ctx.engine.query(
    renderSql(
      `select count_if(slice = {{slice}}) as sliced, count_if(slice = '') as whole
      from kpi_monthly where month in {{months}}`,
      { slice, months },
    ),
  );
  if (Number(held?.whole ?? 0) > 0 && Number(held?.sliced ?? 0) === 0)
    throw new PulseError(
      `kpi_monthly holds no rows of the slice ${slice}: run the marts stage first (pulse run --stages marts,evaluate)`,
    );
}

/** Each KPI's headline month by month in one slice ('' for the whole lake), read from kpi_monthly (13 partitions). */
async function monthlyHistory(
  ctx: StageContext,
  months: string[],
  slice: string,
): Promise<(id: string) => KpiHistoryPoint[]> {
  const rows = await ctx.engine.query(
    renderSql(
      `select kpi, dimension, member, kind, numerator, denominator, p50, p90, mean, n, month
      from kpi_monthly where month in {{months}} and dimension = '' and slice = {{slice}}`,
      { months, slice },
    ),
  );
  const byKpi = new Map<string, Map<string, number | null>>();
  for (const row of rows) {
    const measure = toMeasurements([storedMeasureRow(row)]);
    const value = measure.get(String(row.kpi))?.headline.value ?? null;
    const series = byKpi.get(String(row.kpi)) ?? new Map<string, number | null>();
    series.set(String(row.month), value);
    byKpi.set(String(row.kpi), series);
  }
  return (id) => months.map((month) => ({ month, value: byKpi.get(id)?.get(month) ?? null }));
}

async function dataQuality(ctx: StageContext, current: Measurements): Promise<DataQuality> {
  const sources = [];
  for (const source of ctx.config.sources) {
    for (const entity of sourceEntities(source)) {
      const state = await getJson<SourceState>(ctx.store, stateKey(source.name, entity));
      sources.push({
        source: source.name,
        entity,
        ...(state ? sourceTotals(state) : emptyCounts()),
        ...(state?.removed !== undefined ? { removed: state.removed } : {}),
        lastExtractAt: state?.lastExtractAt ?? null,
        freshestRecordAt: state?.freshestRecordAt ?? null,
      });
    }
  }
  const byReason = Object.fromEntries(
    Object.entries(current.get(excludedFromTime)?.breakdowns.reason ?? {}).map(([r, m]) => [r, m.value ?? 0]),
  );
  let duplicatesMerged = 0;
  for (const entity of entities) {
    duplicatesMerged +=
      (await getJson<{ duplicatesMerged: number }>(ctx.store, curateStateKey(entity.name)))?.duplicatesMerged ?? 0;
  }
  return {
    sources,
    stale: staleSources(sources, ctx.period.end, ctx.config.timezone, ctx.config.definitions.staleAfterDays),
    excludedFromTimeMetrics: { total: Object.values(byReason).reduce((s, n) => s + n, 0), byReason },
    duplicatesMerged,
  };
}

async function forecast(ctx: StageContext, current: Measurements, params: Record<string, SqlValue>) {
  const last = ctx.period.months[ctx.period.months.length - 1]!;
  const recent = monthRange(addMonths(last, -3), last);
  const daily = await ctx.engine.query(
    renderSql(
      'select cast(created_date as varchar) as day, sum(tickets) as tickets from volume_daily where month in {{months}} group by created_date',
      { ...params, months: recent },
    ),
  );
  const [worked] = await ctx.engine.query(
    renderSql(
      `select
          (select cast(sum(cast(hours_worked as decimal(38, 9))) as double)
            from agent_time where month in {{months}}) as hours,
          (select count(*) from tickets_created where month in {{months}}) as tickets,
          (select cast(sum(cast(handle_seconds as decimal(38, 6))) as double) / count(*)
            from tickets_created where month in {{months}} and handle_seconds > 0) as handle_seconds`,
      { ...params, months: ctx.period.months },
    ),
  );
  const hours = Number(worked?.hours ?? 0);
  const tickets = Number(worked?.tickets ?? 0);
  const firstReply = current.get('first_reply_time')?.headline.value ?? null;
  const lastDay = addMonths(last, 1);
  return forecastNextMonth(
    nextMonth(ctx.period),
    new Date(Date.parse(`${lastDay}-01T00:00:00Z`) - 86400000).toISOString().slice(0, 10),
    daily.map((r) => ({ date: String(r.day), tickets: Number(r.tickets) })),
    {
      hoursPerTicket: hours > 0 && tickets > 0 ? hours / tickets : null,
      handleSecondsPerTicket:
        worked?.handle_seconds === null || worked?.handle_seconds === undefined ? null : Number(worked.handle_seconds),
      firstReplyP50: firstReply,
      firstReplyTarget: ctx.config.targets.first_reply_time?.target ?? null,
    },
  );
}

function csatChange(definition: KpiDefinition, csat: KpiResult | undefined): KpiResult | undefined {
  if (!csat || csat.status === 'not_measured') return undefined;
  const value = csat.change;
  const againstLastYear = csat.changeLastYear;
  // CSAT's own interval says nothing about a difference of two CSATs.
  const margin = new Set(['marginOfError', 'intervalLow', 'intervalHigh']);
  return {
    ...csat,
    stats: Object.fromEntries(Object.entries(csat.stats).filter(([key]) => !margin.has(key))),
    id: definition.id,
    label: definition.label,
    description: definition.description,
    value,
    status: 'none',
    target: null,
    warning: null,
    critical: null,
    previous: null,
    change: null,
    changeRatio: null,
    lastYear: null,
    changeLastYear: null,
    breakdowns: { against: { previous_period: value, last_year: againstLastYear } },
    drivers: [],
    explanation: null,
    history: [],
  };
}

/** A breakdown's members with labels from the data cut as kpis.json cuts them (measure.ts, memberKey). */
function cutKeys<T>(members: Record<string, T>): Record<string, T> {
  const cut: Record<string, T> = {};
  for (const [name, value] of Object.entries(members)) cut[memberKey(cut, name)] = value;
  return cut;
}

/** Comments of survey answers in a period, for brand terms (bounded by the survey volume). */
async function surveyComments(ctx: StageContext, period: PeriodInfo): Promise<string[]> {
  const rows = await ctx.engine.query(surveyCommentsSql(period.months));
  return rows.map((r) => String(r.comment));
}

function derivedKpi(
  definition: KpiDefinition,
  value: number | null,
  breakdowns: MeasuredKpi['breakdowns'],
  stats: MeasuredKpi['stats'],
): MeasuredKpi {
  return {
    ...buildKpi({
      definition,
      current: { headline: { value }, breakdowns: {} },
      previous: undefined,
      lastYear: undefined,
      history: [],
      thresholds: undefined,
    }),
    breakdowns,
    stats,
  };
}

/** Measures that sit beside a KPI rather than being one, where the catalog places them (sideMeasures). */
function attachSideMeasures(kpis: Record<string, KpiResult>, current: Measurements): void {
  for (const side of sideMeasures) {
    if (side.for === 'always') continue;
    const measure = current.get(side.id);
    for (const id of side.for) {
      const kpi = kpis[id];
      if (!kpi || kpi.status === 'not_measured') continue;
      const members = side.breakdown && measure?.breakdowns[side.breakdown.dimension];
      if (side.breakdown && members)
        kpi.breakdowns[side.breakdown.name] = Object.fromEntries(
          Object.entries(members).map(([member, m]) => [member, m.value]),
        );
      for (const [stat, { dimension, member }] of Object.entries(side.stats ?? {})) {
        if (dimension === '') kpi.stats[stat] = measure?.headline.value ?? null;
        else if (measure?.breakdowns[dimension])
          kpi.stats[stat] = measure.breakdowns[dimension][member ?? '']?.value ?? null;
      }
    }
  }
}

/**
 * evaluate: marts for the period and its comparisons → reports/<period>/kpis.json, and for each
 * sliced audience its own kpis.json computed from the slice's records (reports/<period>/<audience>/).
 */
export async function evaluate(ctx: StageContext): Promise<KpiReport> {
  const ran: KpiQueries['queries'] = [];
  const report = await evaluateReport(ctx, undefined, ran);
  await putJson(ctx.store, reportKey(ctx.period.id), report);
  await putJson(ctx.store, queriesKey(ctx.period.id), { queries: ran } satisfies KpiQueries);
  ctx.log(`evaluate: ${Object.keys(report.kpis).length} KPIs → ${reportKey(ctx.period.id)}`);
  let slices = 0;
  const bySlice = new Map<string, KpiReport>();
  for (const audience of ctx.config.audiences) {
    if (!audience.slice) continue;
    const id = sliceKey(audience.slice);
    let sliced = bySlice.get(id);
    if (!sliced) {
      sliced = await evaluateReport(ctx, audience.slice);
      bySlice.set(id, sliced);
    }
    const key = audienceReportKey(ctx.period.id, audience.name);
    await putJson(ctx.store, key, sliced);
    slices += 1;
    ctx.log(`evaluate ${audience.name}: slice ${describeSlice(audience.slice)} → ${key}`);
  }
  // Leave the lake registered unsliced for the stages that follow in this process.
  if (slices > 0) await registerLake(ctx);
  return report;
}

async function evaluateReport(
  ctx: StageContext,
  slice: Slice | undefined,
  ran?: KpiQueries['queries'],
): Promise<KpiReport> {
  const params = await registerLake(ctx, slice);
  const present = presentEntities(ctx.config);
  const sliceAbsent = slice ? absentUnderSlice(slice) : new Map<string, string>();
  const extra = sourceParams(ctx.config);
  const last = ctx.period.months[ctx.period.months.length - 1]!;
  const historyMonths = monthRange(addMonths(last, -12), last);
  ctx.progress.start('evaluate', 4);
  const key = slice ? sliceKey(slice) : '';
  if (key) await requireSliceRows(ctx, key, historyMonths);
  const historyOf = await monthlyHistory(ctx, historyMonths, key);
  const spans = await dataSpans(ctx.engine);
  // The period and those compared with are read from kpi_monthly, the slice's rows under a slice,
  // when they are whole months the marts hold; the others are measured from the curated rows.
  // A quarter or a range of months the marts hold sums the additive KPIs' monthly rows.
  const stored = async (period: PeriodInfo, queries?: KpiQueries['queries']) =>
    (await storedMeasure(ctx, period, key, extra, queries)) ?? (await summedMeasure(ctx, period, key, extra, queries));
  const current = (await stored(ctx.period, ran)) ?? (await measure(ctx, ctx.period, extra, ran));
  ctx.progress.update(1);
  // A period to date is compared with the same days of each (period.ts, likeForLike).
  const previousOne = previousPeriod(ctx.period);
  const lastYearOne = lastYearPeriod(ctx.period);
  const previous = (await stored(previousOne)) ?? (await measure(ctx, previousOne, extra));
  ctx.progress.update(2);
  const lastYear = (await stored(lastYearOne)) ?? (await measure(ctx, lastYearOne, extra));
  ctx.progress.update(3);
  ctx.progress.update(4);
  ctx.progress.stop();

  const solvedTickets = current.get(responseBase)?.headline.value ?? null;
  const kpis: Record<string, KpiResult> = {};
  for (const definition of kpiCatalog) {
    const reason = notMeasuredReason(definition, present, ctx.config, sliceAbsent);
    if (reason) {
      kpis[definition.id] = {
        id: definition.id,
        label: definition.label,
        family: definition.family,
        unit: definition.unit,
        direction: definition.direction,
        description: definition.description,
        value: null,
        status: 'not_measured',
        notMeasured: reason,
      };
      continue;
    }
    // A KPI computed otherwise than by the KPI queries comes after the measured ones it may read.
    if (definition.computedBy) continue;
    const measured: KpiMeasure = current.get(definition.id) ?? emptyMeasure(definition);
    const thresholds = ctx.config.targets[definition.id];
    const responses = measured.headline.denominator ?? 0;
    // A comparison, or a month of history, where none of the KPI's sources holds a record is no
    // data (null), not a 0 measured from nothing; its change is null with it (buildKpi).
    const before = hasData(definition, spans, previousOne.months) ? previous.get(definition.id) : undefined;
    const { minSample } = ctx.config.definitions;
    const counter = definition.sampleOf;
    const kpi = buildKpi({
      definition,
      current: measured,
      previous: before,
      lastYear: hasData(definition, spans, lastYearOne.months) ? lastYear.get(definition.id) : undefined,
      history: historyOf(definition.id).map((point) =>
        hasData(definition, spans, [point.month]) ? point : { ...point, value: null },
      ),
      thresholds,
      minSample,
      countedBy: counter ? current.get(counter)?.headline : undefined,
      ...(definition.survey ? { extraStats: { responseRate: solvedTickets ? responses / solvedTickets : null } } : {}),
    });
    const explainAbove = thresholds?.explainAbove ?? 0.05;
    // A change from or to a small sample is noise: no drivers, no sentence (docs/rules.md, "Samples").
    const smallBefore = sampleOf(definition, before, minSample, counter ? previous.get(counter)?.headline : undefined);
    if (
      before &&
      !kpi.sample?.small &&
      !smallBefore?.small &&
      kpi.value !== null &&
      kpi.previous !== null &&
      kpi.changeRatio !== null &&
      Math.abs(kpi.changeRatio) >= explainAbove
    ) {
      // A sliced report is never decomposed by its own slice's dimension: one member, always 100%.
      kpi.drivers = topDrivers(definition, measured, before, { minSample, exclude: Object.keys(slice ?? {}) });
      kpi.explanation = explain(definition, kpi.value, kpi.previous, kpi.drivers, display(ctx.config));
    }
    kpis[definition.id] = kpi;
  }
  attachSideMeasures(kpis, current);
  // Each KPI names its computation in the catalog: evaluate has no case by KPI id.
  const computations: Record<
    NonNullable<KpiDefinition['computedBy']>,
    (definition: KpiDefinition) => Promise<KpiResult | undefined>
  > = {
    brandTerms: async (definition) => {
      const terms = brandTerms(
        await surveyComments(ctx, ctx.period),
        await surveyComments(ctx, previousPeriod(ctx.period)),
      );
      return derivedKpi(
        definition,
        terms.comments,
        { term: cutKeys(terms.mentions), share_change: cutKeys(terms.shareChange) },
        { n: terms.comments },
      );
    },
    competitorGap: async (definition) => {
      if (!ctx.config.benchmarks) return undefined;
      const { behind, gaps } = competitorGaps(kpis, ctx.config.benchmarks);
      return derivedKpi(definition, behind, { gap: gaps }, { n: Object.keys(gaps).length });
    },
    csatChange: async (definition) => csatChange(definition, kpis[definition.computedFrom ?? '']),
  };
  for (const definition of kpiCatalog) {
    if (!definition.computedBy || kpis[definition.id]) continue;
    const computed = await computations[definition.computedBy](definition);
    if (computed) kpis[definition.id] = computed;
  }

  return {
    period: ctx.period,
    ...(slice ? { slice: { ...slice } } : {}),
    generatedAt: ctx.now.toISOString(),
    timezone: ctx.config.timezone,
    currency: ctx.config.currency,
    kpis,
    // A forecast reads the period's last month as whole: none for a period to date.
    forecast: present.has('tickets') && !ctx.period.partial ? await forecast(ctx, current, params) : null,
    dataQuality: await dataQuality(ctx, current),
  };
}

export interface EvaluateSummary {
  reportKey: string;
  kpis: number;
  notMeasured: number;
  /** Sliced audiences, each with its own kpis.json. */
  slices: { audience: string; reportKey: string }[];
}

function evaluateSummary(ctx: StageContext, report: KpiReport): EvaluateSummary {
  const kpis = Object.values(report.kpis);
  return {
    reportKey: reportKey(ctx.period.id),
    kpis: kpis.length,
    notMeasured: kpis.filter((k) => k.status === 'not_measured').length,
    slices: ctx.config.audiences
      .filter((a) => a.slice)
      .map((a) => ({ audience: a.name, reportKey: audienceReportKey(ctx.period.id, a.name) })),
  };
}

/**
 * What evaluate reads (docs/design.md, "Re-runs"): the curated rows and the marts, the sources'
 * and curate's state (data quality), the config's keys it reads, the SQL and the period.
 */
export function evaluateInputs(ctx: StageContext): StageInputs {
  const states = new Set([
    ...ctx.config.sources.flatMap((s) => sourceEntities(s).map((entity) => stateKey(s.name, entity))),
    ...entities.map((e) => curateStateKey(e.name)),
  ]);
  const { definitions, targets, timezone, currency, locale, labels, benchmarks, sources } = ctx.config;
  return {
    prefixes: ['curated/', 'marts/', 'state/'],
    reads: (key) => (key.startsWith('state/') ? states.has(key) : !key.startsWith(lakeKeys.curateStaging(''))),
    settings: {
      period: ctx.period,
      definitions,
      targets,
      timezone,
      currency,
      locale,
      labels,
      benchmarks,
      sources,
      audiences: ctx.config.audiences.map(({ name, report, slice }) => ({ name, report, slice })),
    },
    sql: true,
  };
}

/**
 * The evaluate stage as the stage list runs it: kpis.json written, then each audience's report
 * inputs (publish.ts), a small summary returned. When nothing it reads changed since it last
 * wrote them, it keeps them and computes nothing (docs/design.md, "Re-runs"); --force computes.
 */
export async function evaluateStage(ctx: StageContext): Promise<EvaluateSummary> {
  const period = ctx.period.id;
  const place = { name: 'evaluate', record: lakeKeys.evaluateInputs(period), under: `reports/${period}/` };
  const { summary, keptSince } = await keepOrCompute(ctx, place, evaluateInputs(ctx), async () => {
    const report = await evaluate(ctx);
    const published = await publishReportInputs(ctx);
    const summary = evaluateSummary(ctx, report);
    const outputs = [summary.reportKey, queriesKey(period), ...summary.slices.map((s) => s.reportKey), ...published];
    return { summary, outputs };
  });
  if (keptSince) ctx.log(`evaluate: inputs unchanged since ${keptSince}, kept kpis.json`);
  return summary;
}
