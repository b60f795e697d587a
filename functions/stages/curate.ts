import { randomUUID } from 'node:crypto';
import { duckdbRules, trinoRules } from '../dialect/ruleDialect.ts';
import { greatestOf, ident, readSql, renderSql, sqlString } from '../dialect/sqlText.ts';
import { monthExpr } from '../dialect/staging.ts';
import { validationSql, type ValidationSpec } from '../dialect/validation.ts';
import { lakeKeys } from '../model/lakeKeys.ts';
import { lastProjectedMonth, monthProjection, monthsOutsideProjection } from '../model/projection.ts';
import { PulseError } from '../errors.ts';
import { faultPoint } from '../runtime/faultPoint.ts';
import { entities, type Entity } from '../model/index.ts';
import { getJson, putJson } from '../ports/objectStore.ts';
import type { FieldIssue, LandedPart, RejectedRow, Source, SourceRow } from '../ports/source.ts';
import type { PulseConfig } from '../config/schema.ts';
import type { QueryEngine } from '../ports/queryEngine.ts';
import type { StageContext } from './context.ts';
import { NdjsonPartWriter } from './rawWriter.ts';
import { monthBatches } from './monthBatches.ts';
import { RejectsCsvWriter } from './rejectsCsv.ts';
import { emptyCounts, emptySourceState, addCounts, type RowCounts, type SourceState } from './sourceState.ts';

interface CurateState {
  /** Raw parts already folded into curated/. */
  rawKeys: string[];
  rows: number;
  duplicatesMerged: number;
  /** A fold staged but not yet moved into curated/: the next curate finishes it before anything else. */
  pending?: PendingFold;
}

/**
 * One fold of new parts into curated/, between its two steps: its rows are staged under
 * curated/_staging/ and the months they replace are named, so a curate stopped for time (or
 * killed) between here and the end finishes the same fold when it runs again, and no row is lost
 * or doubled. Saving the state with it is the fold's commit point: one PUT.
 */
interface PendingFold {
  /** The raw parts it folds. */
  keys: string[];
  /** The months it rewrites, or every row of an entity without months. */
  months: string[] | 'all';
  /** Where its rows are staged (lakeKeys.curateStaging), laid out as curated/<entity>/ is. */
  staged: string;
  /**
   * Curated rows the fold replaces (counted before it), and rows its parts accepted less those the
   * earlier reads of the exports it reads again had accepted (a re-read replaces them).
   */
  replaced: number;
  accepted: number;
}

export interface SourceCurated extends RowCounts {
  source: string;
  /** A full source's records its latest export no longer holds, removed from the lake by this curate. */
  removed?: number;
  /** The rejects as CSV (rejects/…/<part>.csv), none when nothing was rejected. */
  rejectsCsvKeys: string[];
}

export interface CurateSummary {
  entity: string;
  months: string[] | 'all';
  rows: number;
  duplicatesMerged: number;
  /** What this run validated, per source. */
  sources: SourceCurated[];
}

/** Curate's own bookkeeping: `_curate` cannot be a source name (those start with a letter or digit). */
export const curateStateKey = lakeKeys.curateState;
export const curatedPrefix = lakeKeys.curated;

/** The validation SQL's inputs for one source and landed part (docs/design.md, "Bad input"). */
function validationSpec(
  config: PulseConfig,
  entity: Entity,
  source: Pick<Source, 'name' | 'reading'>,
  part: Pick<LandedPart, 'format' | 'layout'>,
): ValidationSpec {
  const fields =
    part.format === 'records' ? entity.columns.map((c) => c.name) : Object.keys(part.layout?.columns ?? {});
  return {
    entity,
    fields,
    values: source.reading.values,
    zone: source.reading.timezone ?? config.timezone,
    dateFormat: source.reading.dateFormat,
    decimal: source.reading.decimal,
    defaults: entity.columns.some((c) => c.name === 'source') ? { source: source.name } : {},
    config: { currency: config.currency },
    padded: part.layout?.padded,
    controls: part.layout?.controls,
  };
}

/**
 * One landed part validated into `table` by the generated SQL, spelt for the engine's dialect;
 * its landed relations (`landed_cells`, for the rejects' cells) stay until releaseLanded. Curate,
 * check-config's sample and the corpus all validate through here.
 */
export async function validateLanded(
  engine: QueryEngine,
  config: PulseConfig,
  entity: Entity,
  source: Pick<Source, 'name' | 'reading'>,
  part: LandedPart,
  table: string,
): Promise<void> {
  const spec = validationSpec(config, entity, source, part);
  await engine.registerLanded(part, spec.fields);
  await engine.createTable(table, validationSql(spec, engine.dialect === 'trino' ? trinoRules : duckdbRules));
}

const lakeTimestamp = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/;
/** A value as the engine returns it, timestamps as Dates (the lake's are UTC). */
const plain = (value: unknown) =>
  typeof value === 'string' && lakeTimestamp.test(value) ? new Date(`${value.replace(' ', 'T')}Z`) : value;

/**
 * The rows of a validated table (validationSql's output) one by one, as check-config shows them:
 * accepted with their typed record and field issues, or rejected with reason, field and message.
 * Only for a sample: curate itself never brings accepted rows out of the engine.
 */
export async function validatedRows(
  engine: StageContext['engine'],
  table: string,
  entity: Entity,
): Promise<SourceRow[]> {
  const rows: SourceRow[] = [];
  for (const r of await engine.query(`select * from ${table} order by _row`)) {
    const location = { file: String(r._file), row: Number(r._row), line: Number(r._line) };
    if (r._reason !== null) {
      rows.push({
        ok: false,
        reason: String(r._reason),
        field: r._field === null ? null : String(r._field),
        message: String(r._message),
        location,
        raw: null,
      });
      continue;
    }
    const record: Record<string, unknown> = {};
    for (const c of entity.columns) record[c.name] = plain(r[c.name]);
    const issues: FieldIssue[] = entity.columns
      .filter((c) => r[`_issue_${c.name}`] !== null)
      .map((c) => ({ field: c.name, reason: String(r[`_issue_${c.name}`]) }));
    rows.push(issues.length > 0 ? { ok: true, record, location, issues } : { ok: true, record, location });
  }
  return rows;
}

/**
 * The latest of each accepted row's times (`times`: its version and its month, as timestamps),
 * over the validated rows: a row without a version still counts by its month (greatestOf, the
 * same in both engines, where Trino's greatest would make the row's time NULL).
 */
export const freshestSql = (times: readonly string[], table: string) =>
  `select max(to_unixtime(${greatestOf(times)})) as at from ${table} where _reason is null`;

const partId = (key: string) => key.slice(key.lastIndexOf('/') + 1).replace(/\.(csv|ndjson\.gz)$/, '');
const ingestDateOf = (key: string) => /\/ingest_date=([^/]+)\//.exec(key)?.[1] ?? 'unknown';

/** The export's own cells of a rejected row: header → cell when the row has the header's width. */
function originalOf(row: Record<string, unknown>, part: LandedPart): Record<string, string> | string[] | null {
  const header = part.layout?.header;
  if (!header) {
    const record: Record<string, string> = {};
    for (const [k, v] of Object.entries(row))
      if (!k.startsWith('_') && !k.startsWith('r_') && v !== null) record[k] = String(v);
    return record;
  }
  const cells = header.map((_, i) => row[`c${i}`]);
  // A line Pulse's reader could not split has no cells to show.
  if (part.format === 'cells' && cells.every((c) => c === null)) return null;
  return Object.fromEntries(
    header.map((h, i) => [h, cells[i] === null || cells[i] === undefined ? '' : String(cells[i])]),
  );
}

/**
 * Validates one landed part in the engine: counts its rows by outcome and its field issues,
 * writes its rejects (NDJSON and CSV), and leaves its accepted rows in `table`.
 */
async function validatePart(
  ctx: StageContext,
  entity: Entity,
  source: Source,
  part: LandedPart,
  table: string,
): Promise<{ counts: RowCounts; rejectKeys: string[]; rejectsCsvKeys: string[]; freshest: number | null }> {
  try {
    await validateLanded(ctx.engine, ctx.config, entity, source, part, table);
    const counts = emptyCounts();
    // In order, so the counts' keys are written in the same order at every run.
    const outcomes = `select _reason, count(*) as n from ${table} group by _reason order by _reason nulls first`;
    for (const row of await ctx.engine.query(outcomes)) {
      const n = Number(row.n);
      counts.rowsRead += n;
      if (row._reason === null) counts.rowsAccepted += n;
      else {
        counts.rowsRejected += n;
        counts.rejectedByReason[String(row._reason)] = n;
      }
    }
    const issueCounts = entity.columns
      .map(
        (c) =>
          `select ${sqlString(c.name)} as field, ${ident(`_issue_${c.name}`)} as reason, count(*) as n from ${table} where _reason is null and ${ident(`_issue_${c.name}`)} is not null group by 2`,
      )
      .join(' union all ')
      .concat(' order by 1, 2');
    for (const row of await ctx.engine.query(issueCounts)) {
      (counts.fieldIssues[String(row.field)] ??= {})[String(row.reason)] = Number(row.n);
    }
    // The freshest record: its latest version or month timestamp (a date or month from its start).
    const times = [entity.version, entity.monthOf]
      .filter((f): f is string => Boolean(f))
      .map((f) => {
        const column = entity.columns.find((c) => c.name === f)!;
        return column.kind === 'month' ? `cast(${ident(f)} || '-01' as timestamp)` : `cast(${ident(f)} as timestamp)`;
      });
    let freshest: number | null = null;
    if (times.length > 0) {
      const [row] = await ctx.engine.query(freshestSql(times, table));
      freshest = row?.at === null || row?.at === undefined ? null : Number(row.at) * 1000;
    }
    const rejectKeys: string[] = [];
    const rejectsCsvKeys: string[] = [];
    if (counts.rowsRejected > 0) {
      const ingestDate = ingestDateOf(part.key);
      const id = partId(part.key);
      const rejects = new NdjsonPartWriter(ctx.store, (n) =>
        lakeKeys.rejects(entity.name, source.name, ingestDate, id, n),
      );
      const rejectsCsv = new RejectsCsvWriter(ctx.store, (n) =>
        lakeKeys.rejectsCsv(entity.name, source.name, ingestDate, id, n),
      );
      const rows = await ctx.engine.query(
        `select v._row as r_row, v._line as r_line, v._reason as r_reason, v._field as r_field, v._message as r_message, l.* from ${table} as v join landed_cells as l on l._row = v._row where v._reason is not null order by v._row`,
      );
      for (const row of rows) {
        const rejected: RejectedRow = {
          ok: false,
          reason: String(row.r_reason),
          field: row.r_field === null ? null : String(row.r_field),
          message: String(row.r_message),
          location: { file: part.name, row: Number(row.r_row), line: Number(row.r_line) },
          raw: originalOf(row, part),
        };
        await rejects.write({
          ...rejected.location,
          reason: rejected.reason,
          field: rejected.field,
          message: rejected.message,
          raw: rejected.raw,
        });
        await rejectsCsv.write(rejected);
      }
      await rejects.close();
      await rejectsCsv.close();
      rejectKeys.push(...rejects.keys, ...rejectsCsv.keys);
      rejectsCsvKeys.push(...rejectsCsv.keys);
    }
    return { counts, rejectKeys, rejectsCsvKeys, freshest };
  } finally {
    await ctx.engine.releaseLanded();
  }
}

/**
 * The parts of an export file landed again by a later extract (its content or its source's mapping
 * changed): that later read replaces them (docs/design.md, "Re-reading"), so they are neither
 * validated nor counted, nor their rows curated. An API's pages are not files read again: each
 * landing holds records of its own.
 */
export function supersededParts(parts: readonly LandedPart[]): Set<string> {
  const latest = new Map<string, string>();
  for (const part of parts) if (part.format !== 'records') latest.set(part.unit, part.landing);
  return new Set(parts.filter((p) => p.format !== 'records' && latest.get(p.unit) !== p.landing).map((p) => p.key));
}

/**
 * Validates every part the entity's sources landed since the last curate, and counts them in each
 * source's state. With `until` (epoch ms) it starts no part after then, once it has one: the rest
 * wait for the next curate, so a curate short of time still folds what it validated.
 */
async function validateNew(
  ctx: StageContext,
  entity: Entity,
  done: Set<string>,
  until?: number,
): Promise<{
  tables: { table: string }[];
  keys: string[];
  sources: SourceCurated[];
  reread: number;
  full: FullExport[];
}> {
  const tables: { table: string }[] = [];
  const keys: string[] = [];
  const sources: SourceCurated[] = [];
  const full: FullExport[] = [];
  let reread = 0;
  const late = () => until !== undefined && tables.length > 0 && Date.now() >= until;
  for (const source of ctx.sources.filter((s) => s.entity === entity.name)) {
    if (late()) break;
    const stateKey = lakeKeys.sourceState(source.name, entity.name);
    const state: SourceState = { ...emptySourceState(), ...((await getJson<SourceState>(ctx.store, stateKey)) ?? {}) };
    const parts = (state.landed ?? []).filter((p) => !done.has(p.key));
    if (parts.length === 0) continue;
    const curated: SourceCurated = { source: source.name, ...emptyCounts(), rejectsCsvKeys: [] };
    let freshest = state.freshestRecordAt ? Date.parse(state.freshestRecordAt) : Number.NEGATIVE_INFINITY;
    const replaced = supersededParts(parts);
    // Exports read again: the rows their earlier read had accepted.
    const earlierReads = new Map<string, number>();
    // A full source's latest landing is the whole truth; its parts are validated in one curate.
    const latest = source.mode === 'full' ? parts.at(-1)!.landing : undefined;
    const fullExport: FullExport = { source: source.name, truth: [], older: [] };
    // What its earlier reads had accepted (units of this landing already counted, when a torn lake
    // is curated again from its raw parts, are this read's own).
    const acceptedBefore = Object.values(state.units)
      .filter((u) => u.landing !== latest)
      .reduce((n, u) => n + u.rowsAccepted, 0);
    for (const part of parts) {
      if (late() && !latest) break;
      // An export read again before this curate: only its latest read is validated and counted.
      if (replaced.has(part.key)) {
        keys.push(part.key);
        continue;
      }
      const table = `validated_${tables.length}`;
      const result = await validatePart(ctx, entity, source, part, table);
      tables.push({ table });
      keys.push(part.key);
      if (latest) (part.landing === latest ? fullExport.truth : fullExport.older).push(table);
      addCounts(curated, result.counts);
      curated.rejectsCsvKeys.push(...result.rejectsCsvKeys);
      if (result.freshest !== null) freshest = Math.max(freshest, result.freshest);
      // A unit landed again (an export that changed, or read with another mapping) replaces
      // what it counted before, and its earlier rejects (docs/design.md, "Re-reading").
      let unit = state.units[part.unit];
      if (!unit || unit.landing !== part.landing) {
        for (const earlier of unit?.rejectKeys ?? []) await ctx.store.deletePrefix(earlier);
        // An export's earlier read is replaced, not merged: its rows that the new read holds again
        // are no older versions. Counted as the smaller of the two reads (rows the new read no longer
        // holds stay in the lake, as records), which merged counts may only undercount.
        if (unit && part.format !== 'records') earlierReads.set(part.unit, unit.rowsAccepted);
        unit = { ...emptyCounts(), landing: part.landing, parts: [], rejectKeys: [] };
        state.units[part.unit] = unit;
      }
      if (!(unit.parts ?? []).includes(part.key)) {
        addCounts(unit, result.counts);
        (unit.parts ??= []).push(part.key);
        (unit.rejectKeys ??= []).push(...result.rejectKeys);
      }
    }
    if (latest) {
      // The files its full export no longer holds leave the counts with their rows, and the whole
      // export read again replaces the whole earlier read (reckoned as in the incremental case).
      for (const [name, unit] of Object.entries(state.units)) {
        if (unit.landing === latest) continue;
        for (const earlier of unit.rejectKeys ?? []) await ctx.store.deletePrefix(earlier);
        delete state.units[name];
      }
      const acceptedNow = Object.values(state.units).reduce((n, u) => n + u.rowsAccepted, 0);
      reread += Math.min(acceptedBefore, acceptedNow);
      full.push(fullExport);
    } else for (const [name, earlier] of earlierReads) reread += Math.min(earlier, state.units[name]!.rowsAccepted);
    state.freshestRecordAt = Number.isFinite(freshest) ? new Date(freshest).toISOString() : null;
    await putJson(ctx.store, stateKey, state);
    sources.push(curated);
  }
  return { tables, keys, sources, reread, full };
}

/**
 * A full source's export in this curate (docs/design.md, "Full exports"): the validated tables of
 * its latest landing, the whole truth of its records, and of its earlier landings not yet curated.
 */
interface FullExport {
  source: string;
  truth: string[];
  older: string[];
}

/**
 * What full exports remove (docs/design.md, "Full exports"). For each full source, the keys its
 * latest landing holds (accepted rows, and rejected ones whose key reads: a record whose new row
 * is unreadable is kept), and predicates over them: `curated`, a curated row (alias c) of a full
 * source that its export no longer holds; `older`, per validated table of an earlier landing of
 * one, a row it no longer holds. A record is a source's by its `source` column, or, in an entity
 * without one, because the source is its only source (the config's rule).
 */
async function fullRemoval(
  ctx: StageContext,
  entity: Entity,
  full: readonly FullExport[],
): Promise<{
  curated: string | undefined;
  older: Map<string, string>;
  tables: string[];
  count: (name: string) => Promise<{ versions: number; bySource: Map<string, number> }>;
}> {
  const tables: string[] = [];
  const older = new Map<string, string>();
  const bySource: { source: string; gone: string }[] = [];
  const keys = entity.key.map(ident).join(', ');
  const readable = entity.key.map((k) => `${ident(k)} is not null`).join(' and ');
  const ownSource = entity.columns.some((c) => c.name === 'source');
  for (const [j, f] of full.entries()) {
    const truth = `truth_${entity.name}_${j}`;
    await ctx.engine.createTable(
      truth,
      `select distinct ${keys} from (${f.truth
        .map((t) => `select ${keys} from ${t} where _reason is null or (${readable})`)
        .join(' union all ')}) as k`,
    );
    tables.push(truth);
    const held = (alias: string) =>
      `exists (select 1 from ${truth} as t where ${entity.key
        .map((k) => `t.${ident(k)} is not distinct from ${alias}.${ident(k)}`)
        .join(' and ')})`;
    for (const t of f.older) older.set(t, held(t));
    const mine = ownSource ? `c.${ident('source')} = ${sqlString(f.source)} and ` : '';
    bySource.push({ source: f.source, gone: `(${mine}not ${held('c')})` });
  }
  const curated = bySource.length > 0 ? bySource.map((b) => b.gone).join(' or ') : undefined;
  const count = async (name: string) => {
    const removed = new Map<string, number>();
    let versions = 0;
    for (const b of bySource) {
      const [row] = await ctx.engine.query(`select count(*) as n from curated_${name}_before as c where ${b.gone}`);
      removed.set(b.source, Number(row?.n ?? 0));
      versions += Number(row?.n ?? 0);
    }
    for (const [t, held] of older) {
      const [row] = await ctx.engine.query(`select count(*) as n from ${t} where _reason is null and not ${held}`);
      versions += Number(row?.n ?? 0);
    }
    return { versions, bySource: removed };
  };
  return { curated, older, tables, count };
}

/**
 * Stops curate before it writes a month Athena's partition projection does not reach
 * (functions/model/projection.ts): its rows would be invisible there, and the next rewrite of
 * that month, which copies the month's rows out through the Glue table, would delete them. The
 * local lake refuses the same months, so both lakes hold the same rows.
 */
function refuseHiddenMonths(ctx: StageContext, entity: string, months: readonly string[]): void {
  const hidden = monthsOutsideProjection(months, ctx.now);
  if (hidden.length === 0) return;
  const more = hidden.length > 5 ? ` and ${hidden.length - 5} more` : '';
  const shown = `${hidden.slice(0, 5).join(', ')}${more}`;
  const range = `${monthProjection.first} to ${lastProjectedMonth(ctx.now)}`;
  throw new PulseError(
    `curate ${entity}: rows fall in month(s) ${shown}, outside the months the lake's tables project (${range}): ` +
      'Athena would not see them, so nothing was written. Correct those dates in the export (or map the right ' +
      'column), then run again',
  );
}

/**
 * A curated part a write left unfinished (by a Pulse before docs/design.md's "Commits", or on a
 * disk that lost it) fails every reader of the entity, --reextract included: the entity is
 * curated again from its raw parts, which hold every version it folded. Its state is emptied
 * first, so a repair stopped part-way is done again.
 */
async function recurateTorn(ctx: StageContext, entity: Entity, state: CurateState): Promise<CurateState> {
  const torn = (await ctx.engine.tornParts?.(curatedPrefix(entity.name))) ?? [];
  if (torn.length === 0) return state;
  const parts = torn.map((t) => `${ctx.store.locate(t.key)} is torn (${t.reason})`).join('; ');
  ctx.log(`curate ${entity.name}: ${parts}: ${entity.name} is curated again from its raw parts`);
  const empty: CurateState = { rawKeys: [], rows: 0, duplicatesMerged: 0 };
  await putJson(ctx.store, curateStateKey(entity.name), empty);
  return empty;
}

async function curateEntity(
  ctx: StageContext,
  entity: Entity,
  batchRows: number,
  until?: number,
): Promise<CurateSummary | undefined> {
  const saved = await getJson<CurateState>(ctx.store, curateStateKey(entity.name));
  let state: CurateState = saved ?? { rawKeys: [], rows: 0, duplicatesMerged: 0 };
  // On S3, what a write stopped before its manifest commit left goes before anything reads the entity.
  const swept = await ctx.engine.sweepWrites?.(curatedPrefix(entity.name));
  if (swept) ctx.log(`curate ${entity.name}: ${swept}`);
  // A fold an earlier curate staged but did not finish (it ran out of time): finished first.
  if (state.pending) state = await finishFold(ctx, entity, state.pending, state);
  // Rows staged by a curate stopped before its commit: nothing names them, so they go.
  else await ctx.store.deletePrefix(lakeKeys.curateStaging(entity.name));
  state = await recurateTorn(ctx, entity, state);
  // Nothing folded means nothing curated: what a repair stopped part-way left goes too.
  // The manifests first (S3's; a folder has none), so no reader is pointed at a file that is gone.
  if (state.rawKeys.length === 0) {
    await ctx.store.deletePrefix(lakeKeys.manifests(curatedPrefix(entity.name)));
    await ctx.store.deletePrefix(curatedPrefix(entity.name));
  }
  const validated = await validateNew(ctx, entity, new Set(state.rawKeys), until);
  if (validated.tables.length === 0) {
    return state.rawKeys.length === 0
      ? undefined
      : { entity: entity.name, months: [], rows: state.rows, duplicatesMerged: state.duplicatesMerged, sources: [] };
  }
  const columns = entity.columns.map((c) => ident(c.name)).join(', ');
  const name = entity.name;
  const typed = entity.columns.map((c) => ({ name: c.name, sqlType: c.sqlType }));
  const removal = await fullRemoval(ctx, entity, validated.full);
  // The accepted rows of every new part, each tagged with its place in landing order (the rows
  // already curated come first, as 0), so a later part wins a tie between equal versions.
  await ctx.engine.createView(
    `new_${name}`,
    validated.tables
      .map(
        (t, i) =>
          `select ${columns}, cast(${i + 1} as bigint) as _run, _row as _seq from ${t.table} where _reason is null` +
          (removal.older.has(t.table) ? ` and not ${removal.older.get(t.table)!}` : ''),
      )
      .join(' union all '),
  );
  const month = monthExpr(entity);
  await ctx.engine.registerTables([
    { name: `curated_${name}_before`, prefix: curatedPrefix(name), columns: typed, partitioned: Boolean(month) },
  ]);
  const params = { timezone: ctx.config.timezone };
  let months: string[] | 'all' = 'all';
  let inMonths = '';
  if (month) {
    // Every month that holds a version of a record the new parts carry is rebuilt whole, so late
    // updates land, and a record whose month moved leaves its old month. A key column may be
    // null (a cost line without a team), hence IS NOT DISTINCT FROM.
    const sameKey = entity.key.map((k) => `c.${ident(k)} is not distinct from n.${ident(k)}`).join(' and ');
    // So is every month that holds a record a full export removes.
    const removedMonths = removal.curated
      ? ` union select distinct month from curated_${name}_before as c where ${removal.curated}`
      : '';
    const touched = await ctx.engine.query(
      renderSql(
        `select month from (select distinct ${month} as month from new_${name}
         union select distinct month from curated_${name}_before as c where exists (select 1 from new_${name} as n where ${sameKey})${removedMonths}) as m
         order by 1`,
        params,
      ),
    );
    months = touched.map((r) => String(r.month));
    refuseHiddenMonths(ctx, name, months);
    inMonths = ` where month in ${renderSql('{{months}}', { months })}`;
  }
  // The curated rows the rebuild replaces, with the new ones: the staging SQL keeps the latest.
  // They are copied out of curated/ first (its files are replaced); the first curate has none.
  const [prior] = await ctx.engine.query(`select count(*) as n from curated_${name}_before${inMonths}`);
  const replaced = Number(prior?.n ?? 0);
  const versions = `select ${columns}, _run, _seq from new_${name}`;
  // The records a full export no longer holds are left out of the rebuild: removed.
  const kept = !removal.curated ? inMonths : `${inMonths ? `${inMonths} and` : ' where'} not (${removal.curated})`;
  if (replaced > 0)
    await ctx.engine.createTable(
      `versions_${name}`,
      `select ${columns}, cast(0 as bigint) as _run, cast(0 as bigint) as _seq from curated_${name}_before as c${kept} union all ${versions}`,
    );
  else await ctx.engine.createView(`versions_${name}`, versions);
  // Staged beside curated/, not written into it: curated/ changes only once the fold is saved.
  const staged = lakeKeys.curateStaging(name, randomUUID().slice(0, 8));
  await writeStaged(ctx, entity, months, staged, batchRows);
  await ctx.engine.query(`drop ${replaced > 0 ? 'table' : 'view'} versions_${name}`);
  await ctx.engine.query(`drop view new_${name}`);
  const removed = await removal.count(name);
  for (const t of validated.tables) await ctx.engine.query(`drop table ${t.table}`);
  for (const t of removal.tables) await ctx.engine.query(`drop table ${t}`);
  // Rows accepted, less those of the earlier reads they replace and the versions removed: the
  // versions the fold adds to the count, so duplicatesMerged counts only real duplicates
  // (docs/design.md, "Honest counts").
  const accepted = validated.sources.reduce((sum, s) => sum + s.rowsAccepted, 0) - validated.reread - removed.versions;
  for (const s of validated.sources) {
    const n = removed.bySource.get(s.source);
    if (n !== undefined) s.removed = n;
  }
  const fold: PendingFold = { keys: validated.keys, months, staged, replaced, accepted };
  faultPoint('curate:staged');
  await putJson(ctx.store, curateStateKey(name), { ...state, pending: fold } satisfies CurateState);
  const next = await finishFold(ctx, entity, fold, state);
  // Each full source's removals, beside its counts, for the report's data quality.
  for (const s of validated.sources.filter((v) => v.removed !== undefined)) {
    const key = lakeKeys.sourceState(s.source, name);
    const sourceState = await getJson<SourceState>(ctx.store, key);
    if (sourceState) await putJson(ctx.store, key, { ...sourceState, removed: s.removed });
  }
  return { entity: name, months, rows: next.rows, duplicatesMerged: next.duplicatesMerged, sources: validated.sources };
}

/**
 * Versions one engine statement folds at most, in the local engine: months are written in batches
 * of about this many, so the dedupe and the Parquet writer hold one batch at a time and curate's
 * memory stays flat as the export grows (docs/design.md, "Running on one machine"). Athena scales
 * out by itself: one statement for every month.
 */
export const localBatchRows = 500_000;

/**
 * The fold's first step: the latest version of each record (the staging SQL over
 * `versions_<entity>`, every version the fold weighs) written as Parquet under `staged`, one
 * statement per batch of months (monthBatches). A batch's statement ranks every version of each
 * record that has one in its months, and keeps the winners that fall in them: a record whose
 * month moved is ranked whole in both batches and written once, in its latest month. The one
 * place curate writes Parquet.
 */
async function writeStaged(
  ctx: StageContext,
  entity: Entity,
  months: string[] | 'all',
  staged: string,
  batchRows: number,
): Promise<void> {
  const name = entity.name;
  const params = { timezone: ctx.config.timezone };
  const staging = renderSql(readSql(`staging/stg_${name}.sql`), params);
  const month = monthExpr(entity);
  if (months === 'all' || !month) {
    await ctx.engine.createView(`raw_${name}`, `select * from versions_${name}`);
    await ctx.engine.writeParquet(staging, staged, { partitionByMonth: false });
    await ctx.engine.query(`drop view raw_${name}`);
    return;
  }
  let batches = [months];
  const keys = entity.key.map(ident).join(', ');
  const [all] = Number.isFinite(batchRows)
    ? await ctx.engine.query(`select count(*) as n from versions_${name}`)
    : [{ n: 0 }];
  // More versions than a batch holds, over several months (a single month is never cut).
  const cut = months.length > 1 && Number(all?.n) > batchRows;
  if (cut) {
    // Each version's month, reckoned once (the time zone makes it dear): the batches are cut by it
    // and each batch finds its records in it.
    await ctx.engine.createTable(
      `months_${name}`,
      renderSql(`select ${keys}, ${month} as month from versions_${name}`, params),
    );
    const counts = await ctx.engine.query(`select month, count(*) as n from months_${name} group by 1`);
    batches = monthBatches(months, new Map(counts.map((r) => [String(r.month), Number(r.n)])), batchRows);
  }
  const sameKey = entity.key.map((k) => `b.${ident(k)} is not distinct from v.${ident(k)}`).join(' and ');
  for (const batch of batches) {
    const inBatch = renderSql('{{months}}', { months: batch });
    // The batch's records as a join on their distinct keys, not a correlated EXISTS: DuckDB plans
    // that as a delim join, which holds every version of the entity in memory for each batch
    // (4.3 GB and 33 s a batch at 11M tickets, against 555 MB and 6.8 s).
    const raw = !cut
      ? `select * from versions_${name}`
      : `select v.* from versions_${name} as v join ` +
        `(select distinct ${keys} from months_${name} where month in ${inBatch}) as b on ${sameKey}`;
    await ctx.engine.createView(`raw_${name}`, raw);
    // Naming the months spares the engine a query to find them (Athena batches its writes by month).
    await ctx.engine.writeParquet(`select * from (${staging}) as staged where month in ${inBatch}`, staged, {
      partitionByMonth: true,
      months: batch,
    });
    await ctx.engine.query(`drop view raw_${name}`);
  }
  if (cut) await ctx.engine.query(`drop table months_${name}`);
}

/**
 * The second step of a fold, safe to run again until it has saved the state: each month it
 * rewrites is emptied in curated/ and given the staged files, the marts are told from which
 * month to rebuild, and the state records the parts as folded. Object copies through the store,
 * no query: what curated/ holds never depends on a statement stopped part-way.
 */
async function finishFold(
  ctx: StageContext,
  entity: Entity,
  fold: PendingFold,
  state: CurateState,
): Promise<CurateState> {
  const name = entity.name;
  const target = curatedPrefix(name);
  // On S3 each month is switched to the staged files by its manifest, in one request; in a
  // folder it is emptied and given them.
  if (ctx.engine.commitStaged) await ctx.engine.commitStaged(fold.staged, target, fold.months);
  else {
    const places = fold.months === 'all' ? [''] : fold.months.map((m) => `month=${m}/`);
    for (const place of places) {
      await ctx.store.deletePrefix(`${target}${place}`);
      faultPoint('curate:cleared');
      const from = `${fold.staged}${place}`;
      for (const key of await ctx.store.list(from)) {
        const body = await ctx.store.get(key);
        if (body) await ctx.store.put(`${target}${place}${key.slice(from.length)}`, body);
      }
    }
  }
  if (fold.months === 'all') await markMartsPending(ctx, 'all');
  else if (fold.months.length > 0) await markMartsPending(ctx, [...fold.months].sort()[0]!);
  const typed = entity.columns.map((c) => ({ name: c.name, sqlType: c.sqlType }));
  const partitioned = fold.months !== 'all';
  await ctx.engine.registerTables([{ name: `curated_${name}_after`, prefix: target, columns: typed, partitioned }]);
  const inMonths = fold.months === 'all' ? '' : ` where month in ${renderSql('{{months}}', { months: fold.months })}`;
  const [after] = await ctx.engine.query(`select count(*) as n from curated_${name}_after${inMonths}`);
  const records = Number(after?.n ?? 0);
  const next: CurateState = {
    rawKeys: [...state.rawKeys, ...fold.keys],
    rows: state.rows - fold.replaced + records,
    // Versions folded (the replaced rows and the new ones) less the records they made; never
    // below what it was (a re-read's rows are reckoned generously: see validateNew).
    duplicatesMerged: state.duplicatesMerged + Math.max(0, fold.replaced + fold.accepted - records),
  };
  await putJson(ctx.store, curateStateKey(name), next);
  await ctx.store.deletePrefix(lakeKeys.curateStaging(name));
  return next;
}

/** The earliest month a mart may have to be rebuilt from: months as YYYY-MM, or everything. */
export interface MartsPending {
  from: string | 'all';
  /**
   * Drawn anew at each fold: a marts build stopped for time resumes its saved progress only if
   * the curated rows have not changed since (stages/marts.ts).
   */
  change?: string;
}

/**
 * Tells the marts stage what a fold changed: the earliest month it touched (a KPI of a month
 * reads earlier months, never later ones), or everything when an unpartitioned entity changed
 * (customers, agents). Kept until the marts are built; written before the fold is recorded done.
 */
async function markMartsPending(ctx: StageContext, changed: string | 'all'): Promise<void> {
  const earlier = await getJson<MartsPending>(ctx.store, lakeKeys.martsPending);
  const froms = [changed, ...(earlier ? [earlier.from] : [])];
  const from = froms.includes('all') ? 'all' : froms.sort()[0]!;
  await putJson(ctx.store, lakeKeys.martsPending, { from, change: randomUUID() } satisfies MartsPending);
}

/**
 * Where a source's rejects CSV is and its top three reasons, for the curate log line. The place
 * is the store's own (an absolute path locally, s3://… in AWS); the CLI shows lake paths
 * relative to where the user stands.
 */
function rejectsNote(ctx: StageContext, s: SourceCurated): string {
  if (s.rejectsCsvKeys.length === 0) return '';
  const top = Object.entries(s.rejectedByReason)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .slice(0, 3)
    .map(([reason, n]) => `${reason} ${n}`);
  return `; rejects in ${s.rejectsCsvKeys.map((k) => ctx.store.locate(k)).join(', ')} (${top.join(', ')})`;
}

/** A full source's records its export no longer holds, removed by this curate. */
const removedNote = (s: SourceCurated) =>
  s.removed === undefined ? '' : `, ${s.removed} removed (no longer in its full export)`;

function issuesNote(s: SourceCurated): string {
  const issues = Object.entries(s.fieldIssues).flatMap(([field, byReason]) =>
    Object.entries(byReason).map(([reason, n]) => ({ label: `${field} ${reason}`, n })),
  );
  if (issues.length === 0) return '';
  const total = issues.reduce((sum, i) => sum + i.n, 0);
  return `; ${total} field issue(s) (${issues
    .sort((a, b) => b.n - a.n)
    .slice(0, 3)
    .map((i) => `${i.label} ${i.n}`)
    .join(', ')})`;
}

/**
 * curate: the raw parts not yet curated → validated in the engine by the SQL generated from the
 * zod schemas (rejects under rejects/, field issues counted), then deduplicated, typed Parquet
 * under curated/<entity>/month=YYYY-MM/, every month the new rows touch rebuilt whole.
 */
export async function curate(ctx: StageContext, options: { batchRows?: number } = {}): Promise<CurateSummary[]> {
  const batchRows = options.batchRows ?? (ctx.engine.dialect === 'duckdb' ? localBatchRows : Number.POSITIVE_INFINITY);
  // Out of time, the engine stops its statement (OutOfTimeError); every fold finished is kept.
  if (ctx.deadline !== undefined) ctx.engine.stopAt?.(ctx.deadline);
  const summaries: CurateSummary[] = [];
  ctx.progress.start('curate', entities.length);
  let validated = 0;
  try {
    for (const [i, entity] of entities.entries()) {
      // Short of time, an entity validates parts for half of what is left, and folds those.
      const until = ctx.deadline === undefined ? undefined : Date.now() + (ctx.deadline - Date.now()) / 2;
      const summary = await curateEntity(ctx, entity, batchRows, until);
      if (summary) summaries.push(summary);
      validated += summary?.sources.reduce((n, s) => n + s.rowsRead, 0) ?? 0;
      ctx.progress.update(i + 1, `${validated.toLocaleString('en-US')} rows validated`);
    }
  } finally {
    ctx.progress.stop();
    // Logged once the bar is gone, so the lines do not print over it on a terminal; a curate
    // stopped for time logs what it folded.
    for (const summary of summaries) {
      for (const s of summary.sources) {
        ctx.log(
          `curate ${s.source} (${summary.entity}): ${s.rowsRead} read, ${s.rowsAccepted} accepted, ${s.rowsRejected} rejected${removedNote(s)}${rejectsNote(ctx, s)}${issuesNote(s)}`,
        );
      }
      ctx.log(
        `curate ${summary.entity}: ${summary.rows} records, ${summary.duplicatesMerged} older versions merged, months ${Array.isArray(summary.months) ? summary.months.length : 'all'}`,
      );
    }
  }
  return summaries;
}
