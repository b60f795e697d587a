import { createHash } from 'node:crypto';
import { sqlFiles } from '../dialect/sqlFiles.generated.ts';
import { readSql, renderSql, type SqlValue } from '../dialect/sqlText.ts';
import { getJson, putJson } from '../ports/objectStore.ts';
import type { MartsPending } from './curate.ts';
import { monthBatches } from './monthBatches.ts';
import { lakeKeys } from '../model/lakeKeys.ts';
import { martTables } from '../model/marts.ts';
import type { StageContext } from './context.ts';
import { periodFromMonths } from '../kpis/period.ts';
import { entities } from '../model/index.ts';
import { measureQueries } from '../kpis/measure.ts';
import {
  kpiMonthlyMart,
  kpiMonthlyRowsSql,
  martAbsentUnder,
  martMonths,
  martRowsSql,
  marts,
  type Mart,
  periodsParams,
  registerCurated,
  registerIntermediate,
  registerMarts,
  registerStoredMarts,
  sourceParams,
  sqlParams,
} from './lake.ts';
import { configuredSlices, type Slice } from './slice.ts';

export interface MartSummary {
  mart: string;
  /** The months rebuilt, or all of them. */
  months: string[] | 'all';
}

/**
 * What a build stopped for time had finished: the marts and the kpi_monthly months written, for
 * one plan (what the build set out to write). A marts stage invoked again with the same plan
 * skips them; each is one write that replaces its own partitions, so one stopped part-way is
 * simply written again. Saved after each write, in one PUT.
 */
interface MartsProgress {
  plan: string;
  done: string[];
}

/** What the marts were last built from, and for which kpi_monthly months. */
interface MartsBuilt {
  fingerprint: string;
  months: string[];
}

/**
 * What the marts depend on besides the curated rows: the config's definitions, time zone and
 * currency, which sources exist, the SQL itself and the marts' columns (a lake built before a
 * column was added, such as kpi_monthly's kind or the marts' slice, is rebuilt), and the slices
 * the marts hold rows of (a slice added or changed has every month to build). Another
 * fingerprint rebuilds every month.
 */
function fingerprintOf(ctx: StageContext): string {
  const { definitions, timezone, currency } = ctx.config;
  const columns = martTables.map((t) => [t.name, t.columns.map((c) => c.name)]);
  const sources = sourceParams(ctx.config);
  const slices = configuredSlices(ctx.config.audiences).map((s) => s.key);
  return createHash('sha256')
    .update(JSON.stringify({ definitions, timezone, currency, sources, sql: sqlFiles, columns, slices }))
    .digest('hex');
}

/**
 * The kpi_monthly rows of the whole lake and of each configured slice, as one SELECT to write
 * (docs/design.md: a slice is data, not views). A slice's rows are measured over its records
 * alone (registerCurated(ctx, slice)) and the marts' rows of the slice (written before: a filter
 * of the stored marts) into a work table of its own, since the names the KPI queries read stand
 * for one slice at a time; then the lake is registered whole again. `rowsSql` gives the rows of
 * one slice key ('' for the whole lake). The caller drops the work tables once written.
 */
async function kpiRowsOfSlices(
  ctx: StageContext,
  params: Record<string, SqlValue>,
  slices: { key: string; slice: Slice }[],
  rowsSql: (slice: string) => string,
): Promise<{ sql: string; tables: string[] }> {
  const tables: string[] = [];
  for (const { key, slice } of slices) {
    await registerCurated(ctx, slice);
    await registerIntermediate(ctx, params);
    await registerMarts(ctx, params, slice);
    const table = `${kpiMonthlyMart}_slice_${tables.length}`;
    await ctx.engine.createTable(table, rowsSql(key));
    tables.push(table);
  }
  if (slices.length > 0) {
    await registerCurated(ctx);
    await registerIntermediate(ctx, params);
    await registerMarts(ctx, params);
  }
  const sql = [rowsSql(''), ...tables.map((t) => `select * from ${t}`)].join('\nunion all\n');
  return { sql, tables };
}

/** A mart's rows from a month on. */
const sinceSql = (sql: string, from: string) =>
  `select * from (${sql}) as mart where month >= ${renderSql('{{from}}', { from })}`;

/**
 * Each configured slice's rows of one mart (docs/design.md: a slice is data, not views), from
 * `from` on when given, each in a work table of its own, in slice order: the mart's SQL over the
 * slice's records alone (registerCurated(ctx, slice)), the marts `written` before it (trc reads
 * tickets_created) being their stored rows of the slice. A slice under which an entity the mart
 * needs is absent gives it no rows (martAbsentUnder). Then the lake is registered whole again.
 * One mart at a time, so that a build stopped for time has written the marts before it.
 */
async function sliceRowsOf(
  ctx: StageContext,
  params: Record<string, SqlValue>,
  slices: { key: string; slice: Slice }[],
  mart: Mart,
  written: readonly Mart[],
  from: string | undefined,
): Promise<string[]> {
  const tables: string[] = [];
  if (slices.length === 0) return tables;
  for (const [i, { key, slice }] of slices.entries()) {
    if (martAbsentUnder(mart, slice) !== undefined) continue;
    await registerCurated(ctx, slice);
    await registerIntermediate(ctx, params);
    // A mart reads only marts before it (marts' order), each written: their stored rows of the slice.
    await registerStoredMarts(ctx, written, key);
    const rows = martRowsSql(mart, renderSql(readSql(mart.file), params), key);
    const table = `${mart.name}_slice_${i}`;
    await ctx.engine.createTable(table, from === undefined ? rows : sinceSql(rows, from));
    tables.push(table);
  }
  await registerCurated(ctx);
  await registerIntermediate(ctx, params);
  await registerStoredMarts(ctx, written);
  return tables;
}

/** The month=YYYY-MM partitions a prefix holds. */
async function partitionsOf(ctx: StageContext, prefix: string): Promise<string[]> {
  const months = new Set<string>();
  for (const key of await ctx.store.list(prefix)) {
    const month = /\/month=(\d{4}-\d{2})\//.exec(key)?.[1];
    if (month) months.add(month);
  }
  return [...months].sort();
}

/** Every month any curated entity has data for, up to the period's last month. */
async function kpiMonths(ctx: StageContext): Promise<string[]> {
  const last = ctx.period.months[ctx.period.months.length - 1]!;
  const union = entities
    .filter((e) => e.monthOf)
    .map((e) => `select distinct month from ${e.name}`)
    .join(' union ');
  const rows = await ctx.engine.query(
    `select distinct month from (${union}) as months where month <= '${last}' order by month`,
  );
  return rows.map((r) => String(r.month));
}

/**
 * Months one kpi_monthly statement measures at most: a statement writes at most 100 partitions in
 * Athena (its engine's writeParquet batches by them too).
 */
const kpiBatchMonths = 100;

/**
 * The longest text the KPI queries of one batch may render to. Athena refuses a statement over
 * 262,144 bytes (Athena User Guide, https://docs.aws.amazon.com/athena/latest/ug/service-limits.html),
 * each reference to the periods relations repeats their VALUES lists, and the engine prepends the
 * views a statement reads (a slice's marts): half the limit leaves room for them.
 */
const kpiBatchChars = 131_072;

/**
 * Tickets one kpi_monthly statement measures at most, in the local engine: the months are cut so
 * that no statement holds more. The exact medians keep every duration of a statement's months in
 * memory, where DuckDB cannot spill them: at 11M tickets in one statement, durations.sql failed
 * under a 1.5 GiB limit and took 4.3 GB under the default. Each month is a period of its own, so
 * the cut changes no number. Athena scales out by itself: no cut.
 */
export const localKpiBatchTickets = 1_500_000;

/**
 * The months in batches of at most kpiBatchMonths, each halved until its SQL fits kpiBatchChars.
 * The cut depends only on the months and the SQL, so a resumed build cuts them alike.
 */
function batchesOf(months: readonly string[], sqlOf: (batch: string[]) => string): string[][] {
  const batches: string[][] = [];
  let rest = [...months];
  while (rest.length > 0) {
    let size = Math.min(kpiBatchMonths, rest.length);
    while (size > 1 && sqlOf(rest.slice(0, size)).length > kpiBatchChars) size = Math.ceil(size / 2);
    batches.push(rest.slice(0, size));
    rest = rest.slice(size);
  }
  return batches;
}

/**
 * kpi_monthly for the given months, of the whole lake and of each configured slice, in batches
 * (batchesOf). Each KPI query is written over the periods relations: it measures every month of a
 * batch in one statement, each month a period, and the batch is one write. A batch written is `done`.
 */
async function buildKpiMonthly(
  ctx: StageContext,
  params: Record<string, SqlValue>,
  months: readonly string[],
  done: ReadonlySet<string>,
  finished: (step: string) => Promise<void>,
  batchTickets: number,
): Promise<void> {
  const slices = configuredSlices(ctx.config.audiences);
  const target = lakeKeys.mart(kpiMonthlyMart);
  const onePassOf = (batch: string[]) => {
    const periods = batch.map((month) => periodFromMonths([month]));
    const batchParams = { ...periodsParams(ctx.config, periods), ...sourceParams(ctx.config) };
    return (slice: string) =>
      measureQueries
        .map((q) => kpiMonthlyRowsSql(q, renderSql(readSql(q.file), batchParams), slice))
        .join('\nunion all\n');
  };
  ctx.progress.start('marts kpi_monthly', months.length);
  let measured = 0;
  // Cut by the curated tickets of each month first (monthBatches), when a statement may hold fewer
  // than the months to measure have; the cut depends only on them, so a resumed build cuts alike.
  const byTickets =
    months.length > 1 && Number.isFinite(batchTickets)
      ? monthBatches(months, await ticketsPerMonth(ctx), batchTickets)
      : [months];
  for (const batch of byTickets.flatMap((group) => batchesOf(group, (b) => onePassOf(b)('')))) {
    const step = `${kpiMonthlyMart}/${batch[0]}..${batch[batch.length - 1]}`;
    if (!done.has(step)) {
      const rows = await kpiRowsOfSlices(ctx, params, slices, onePassOf(batch));
      await ctx.engine.writeParquet(rows.sql, target, { partitionByMonth: true, months: batch });
      for (const table of rows.tables) await ctx.engine.query(`drop table ${table}`);
      await finished(step);
    }
    measured += batch.length;
    ctx.progress.update(measured);
  }
  ctx.progress.stop();
}

/** The curated tickets of each month. */
async function ticketsPerMonth(ctx: StageContext): Promise<Map<string, number>> {
  const rows = await ctx.engine.query('select month, count(*) as n from tickets group by month');
  return new Map(rows.map((r) => [String(r.month), Number(r.n)]));
}

/**
 * A mart part a write left unfinished (by a Pulse before docs/design.md's "Commits", or on a disk
 * that lost it) fails every reader of the marts: it is removed and every mart built again from
 * curated/. The record of the last build goes first, so a repair stopped part-way is done again.
 */
async function rebuildTorn(ctx: StageContext): Promise<void> {
  const torn: { key: string; reason: string }[] = [];
  for (const mart of [...marts.map((m) => m.name), kpiMonthlyMart]) {
    // On S3, what a write stopped before its manifest commit left (docs/design.md, "Commits").
    const swept = await ctx.engine.sweepWrites?.(lakeKeys.mart(mart));
    if (swept) ctx.log(`marts: ${swept}`);
    torn.push(...((await ctx.engine.tornParts?.(lakeKeys.mart(mart))) ?? []));
  }
  if (torn.length === 0) return;
  const parts = torn.map((t) => `${ctx.store.locate(t.key)} is torn (${t.reason})`).join('; ');
  ctx.log(`marts: ${parts}: removed, and every mart is built again`);
  await ctx.store.deletePrefix(lakeKeys.martsBuilt);
  for (const t of torn) await ctx.store.deletePrefix(t.key);
}

/**
 * marts: curated/ → marts/<mart>/month=YYYY-MM/. Only what changed is rebuilt: every month from
 * the earliest one curate changed (a month's KPIs read earlier months, never later ones), and any
 * month kpi_monthly lacks; everything when the config, the sources or the SQL changed, or on the
 * first build. A run on unchanged inputs builds nothing.
 */
export async function buildMarts(
  ctx: StageContext,
  options: { kpiBatchTickets?: number } = {},
): Promise<MartSummary[]> {
  const kpiBatchTickets =
    options.kpiBatchTickets ?? (ctx.engine.dialect === 'duckdb' ? localKpiBatchTickets : Number.POSITIVE_INFINITY);
  // Out of time, the engine stops its statement (OutOfTimeError); the marts written are kept.
  if (ctx.deadline !== undefined) ctx.engine.stopAt?.(ctx.deadline);
  const period = sqlParams(ctx.config, ctx.period);
  await registerCurated(ctx);
  await registerIntermediate(ctx, period);
  const months = await kpiMonths(ctx);
  // The calendar marts cover every month the lake has data for, as kpi_monthly does.
  const params = { ...period, mart_months: martMonths(months) };
  const fingerprint = fingerprintOf(ctx);
  await rebuildTorn(ctx);
  const built = await getJson<MartsBuilt>(ctx.store, lakeKeys.martsBuilt);
  const pending = await getJson<MartsPending>(ctx.store, lakeKeys.martsPending);
  const full = !built || built.fingerprint !== fingerprint || pending?.from === 'all';
  const from = full ? undefined : pending?.from;
  const kpiRebuild = full
    ? months
    : months.filter((m) => (from !== undefined && m >= from) || !built.months.includes(m));
  // What the build sets out to write, and from which curated rows (curate draws a new change at each fold).
  const planned = { fingerprint, full, from, kpiRebuild, change: pending?.change };
  const plan = createHash('sha256').update(JSON.stringify(planned)).digest('hex');
  const saved = await getJson<MartsProgress>(ctx.store, lakeKeys.martsProgress);
  const done = new Set(saved?.plan === plan ? saved.done : []);
  const finished = async (step: string) => {
    done.add(step);
    await putJson(ctx.store, lakeKeys.martsProgress, { plan, done: [...done] } satisfies MartsProgress);
  };

  if (full || from !== undefined) {
    const slices = configuredSlices(ctx.config.audiences);
    ctx.progress.start('marts', marts.length);
    // The marts after one may read it (trc reads tickets_created): each is queryable once written,
    // those a stopped build wrote already in one statement.
    const stored = marts.filter((m) => done.has(m.name));
    await registerStoredMarts(ctx, stored);
    for (const [i, mart] of marts.entries()) {
      if (done.has(mart.name)) continue;
      // The whole lake's rows (slice ''), then each configured slice's: one write replaces their months.
      const tables = await sliceRowsOf(ctx, params, slices, mart, marts.slice(0, i), from);
      const whole = martRowsSql(mart, renderSql(readSql(mart.file), params));
      const prefix = lakeKeys.mart(mart.name);
      const union = (sql: string) => [sql, ...tables.map((t) => `select * from ${t}`)].join('\nunion all\n');
      if (full) await ctx.engine.writeParquet(union(whole), prefix, { partitionByMonth: true });
      else {
        // The months from `from` on are written anew; the partitions they held are cleared first.
        // The write is told every month it covers, the new ones too: an engine writes them in
        // batches (Athena: at most 100 partitions per query).
        const stale = (await partitionsOf(ctx, prefix)).filter((m) => m >= from!);
        const since = union(sinceSql(whole, from!));
        const written = await ctx.engine.query(`select distinct month from (${since}) as written`);
        const months = [...new Set([...stale, ...written.map((r) => String(r.month))])].sort();
        await ctx.engine.writeParquet(since, prefix, { partitionByMonth: true, months });
      }
      for (const table of tables) await ctx.engine.query(`drop table ${table}`);
      await finished(mart.name);
      await registerStoredMarts(ctx, [mart]);
      ctx.progress.update(i + 1);
    }
    ctx.progress.stop();
  }
  await registerMarts(ctx, params);
  await buildKpiMonthly(ctx, params, kpiRebuild, done, finished, kpiBatchTickets);
  // A build that wrote nothing leaves the record as it was: a re-run on unchanged inputs writes nothing.
  if (full || from !== undefined || kpiRebuild.length > 0)
    await putJson(ctx.store, lakeKeys.martsBuilt, {
      fingerprint,
      months: [...new Set([...(full ? [] : built.months), ...kpiRebuild])].sort(),
    } satisfies MartsBuilt);
  if (pending) await ctx.store.deletePrefix(lakeKeys.martsPending);
  if (saved || done.size > 0) await ctx.store.deletePrefix(lakeKeys.martsProgress);
  const rebuilt: string[] | 'all' = full ? 'all' : from !== undefined ? months.filter((m) => m >= from) : [];
  ctx.log(
    full
      ? `marts: built ${marts.map((m) => m.name).join(', ')}, ${kpiMonthlyMart} (${months.length} months)`
      : `marts: ${from !== undefined ? `rebuilt from ${from}` : 'nothing changed'}; ${kpiMonthlyMart}: ${kpiRebuild.length} month(s) (${kpiRebuild.join(', ') || 'none'})`,
  );
  return [
    ...marts.map((m) => ({ mart: m.name, months: rebuilt })),
    { mart: kpiMonthlyMart, months: full ? ('all' as const) : kpiRebuild },
  ];
}
