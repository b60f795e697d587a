import { entityByName } from '../model/index.ts';
import { lakeKeys } from '../model/lakeKeys.ts';
import { getJson, putJson } from '../ports/objectStore.ts';
import type { Source, SourceRow } from '../ports/source.ts';
import type { StageContext } from './context.ts';
import { NdjsonPartWriter } from './rawWriter.ts';
import { RejectsCsvWriter } from './rejectsCsv.ts';

export interface RowCounts {
  rowsRead: number;
  rowsAccepted: number;
  rowsRejected: number;
  rejectedByReason: Record<string, number>;
  /**
   * Bad values in accepted rows, by field then reason (DESIGN.md, "Bad input"): counted beside
   * the rows, not in them. State written before field issues were counted has none.
   */
  fieldIssues: Record<string, Record<string, number>>;
}

/** state/<source>/<entity>.json: the watermark, and what every extract of this source has seen. */
export interface SourceState {
  watermark: unknown;
  /**
   * Rows counted per re-readable unit (an export file) as it was last read; rows that come in no
   * such unit (an API's pages) add up under "". The source's totals are their sum.
   */
  units: Record<string, RowCounts>;
  /** The rejects parts each unit's last read wrote, so a unit read again replaces them. */
  rejectKeys?: Record<string, string[]>;
  lastExtractAt: string | null;
  freshestRecordAt: string | null;
}

export interface ExtractSummary extends RowCounts {
  source: string;
  entity: string;
  rawKeys: string[];
  /** The rejects as CSV (rejects/…/<batch>.csv), none when the source had no reject. */
  rejectsCsvKeys: string[];
}

export const stateKey = lakeKeys.sourceState;

export function emptyCounts(): RowCounts {
  return { rowsRead: 0, rowsAccepted: 0, rowsRejected: 0, rejectedByReason: {}, fieldIssues: {} };
}

/** What a source has read, each row counted once. */
export function sourceTotals(state: SourceState): RowCounts {
  const totals = emptyCounts();
  for (const counts of Object.values(state.units)) addCounts(totals, counts);
  return totals;
}

function countRow(counts: RowCounts, row: SourceRow): void {
  counts.rowsRead += 1;
  if (row.ok) {
    counts.rowsAccepted += 1;
    for (const issue of row.issues ?? []) {
      const byReason = (counts.fieldIssues[issue.field] ??= {});
      byReason[issue.reason] = (byReason[issue.reason] ?? 0) + 1;
    }
  } else {
    counts.rowsRejected += 1;
    counts.rejectedByReason[row.reason] = (counts.rejectedByReason[row.reason] ?? 0) + 1;
  }
}

function addCounts(into: RowCounts, from: RowCounts): void {
  into.rowsRead += from.rowsRead;
  into.rowsAccepted += from.rowsAccepted;
  into.rowsRejected += from.rowsRejected;
  for (const [reason, n] of Object.entries(from.rejectedByReason)) {
    into.rejectedByReason[reason] = (into.rejectedByReason[reason] ?? 0) + n;
  }
  for (const [field, byReason] of Object.entries(from.fieldIssues ?? {})) {
    const counted = (into.fieldIssues[field] ??= {});
    for (const [reason, n] of Object.entries(byReason)) counted[reason] = (counted[reason] ?? 0) + n;
  }
}

function latestTimestamp(record: Record<string, unknown>, fields: string[]): number {
  let latest = Number.NEGATIVE_INFINITY;
  for (const field of fields) {
    const value = record[field];
    // Timestamps are Dates; a date (YYYY-MM-DD) or a ledger period (YYYY-MM) counts from its start.
    const time = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value.length === 7 ? `${value}-01` : value) : Number.NaN;
    if (time > latest) latest = time;
  }
  return latest;
}

/**
 * Each extract in a run is its own batch: its raw parts never overwrite an earlier extract's,
 * and its `_run` sorts after theirs, so ingestion order breaks ties between equal versions.
 */
const extractsPerRun = new WeakMap<StageContext, number>();
function nextBatch(ctx: StageContext): string {
  const n = extractsPerRun.get(ctx) ?? 0;
  extractsPerRun.set(ctx, n + 1);
  return `${ctx.runId}-${String(n).padStart(3, '0')}`;
}

async function extractSource(ctx: StageContext, source: Source, batch: string): Promise<ExtractSummary> {
  const entity = entityByName(source.entity);
  if (!entity) throw new Error(`source ${source.name}: unknown entity ${source.entity}`);
  const key = stateKey(source.name, source.entity);
  const state: SourceState = (await getJson<SourceState>(ctx.store, key)) ?? {
    watermark: undefined,
    units: {},
    lastExtractAt: null,
    freshestRecordAt: null,
  };
  const ingestDate = ctx.now.toISOString().slice(0, 10);
  const raw = new NdjsonPartWriter(ctx.store, (part) => lakeKeys.rawPart(source.entity, source.name, ingestDate, batch, part));
  const rejects = new NdjsonPartWriter(ctx.store, (part) => lakeKeys.rejects(source.entity, source.name, ingestDate, batch, part));
  const rejectsCsv = new RejectsCsvWriter(ctx.store, (part) => lakeKeys.rejectsCsv(source.entity, source.name, ingestDate, batch, part));
  const run = emptyCounts();
  const timeFields = [entity.version, entity.monthOf].filter((f): f is string => Boolean(f));
  let freshest = state.freshestRecordAt ? Date.parse(state.freshestRecordAt) : Number.NEGATIVE_INFINITY;
  let seq = 0;
  // Rows since the last saved watermark, and the units this run has started to read again.
  let unsaved = emptyCounts();
  const unitsThisRun = new Set<string>();
  // How many rejects parts (NDJSON, CSV) were written before the rows since the last watermark.
  let rejectsMark = 0;
  let rejectsCsvMark = 0;
  for await (const chunk of source.pull(state.watermark, { reextract: ctx.reextract ?? false })) {
    if (chunk.note) ctx.log(`extract ${source.name}: ${chunk.note}`);
    for (const row of chunk.rows) {
      countRow(run, row);
      countRow(unsaved, row);
      if (row.ok) {
        freshest = Math.max(freshest, latestTimestamp(row.record, timeFields));
        await raw.write({ ...row.record, _run: batch, _seq: seq++ });
      } else {
        await rejects.write({ ...row.location, reason: row.reason, field: row.field, message: row.message, raw: row.raw });
        await rejectsCsv.write(row);
      }
    }
    ctx.progress.update(run.rowsRead);
    if (chunk.watermark !== undefined) {
      // The watermark is saved only once the rows it covers are durable in raw/ and rejects/.
      await raw.close();
      await rejects.close();
      // The CSV too, so each unit's rejects sit in parts of their own that a re-read can replace.
      await rejectsCsv.close();
      // A unit read from its start again (an export file that changed) replaces its earlier counts.
      const unit = chunk.unit ?? '';
      const written = [...rejects.keys.slice(rejectsMark), ...rejectsCsv.keys.slice(rejectsCsvMark)];
      rejectsMark = rejects.keys.length;
      rejectsCsvMark = rejectsCsv.keys.length;
      const rejectKeys = (state.rejectKeys ??= {});
      if (chunk.unit !== undefined && !unitsThisRun.has(unit)) {
        state.units[unit] = emptyCounts();
        // ...and its earlier rejects (DESIGN.md, "Re-reading"), once the new ones are durable.
        for (const earlier of rejectKeys[unit] ?? []) await ctx.store.deletePrefix(earlier);
        rejectKeys[unit] = [];
        unitsThisRun.add(unit);
      }
      (rejectKeys[unit] ??= []).push(...written);
      addCounts((state.units[unit] ??= emptyCounts()), unsaved);
      unsaved = emptyCounts();
      state.watermark = chunk.watermark;
      state.lastExtractAt = ctx.now.toISOString();
      state.freshestRecordAt = Number.isFinite(freshest) ? new Date(freshest).toISOString() : null;
      await putJson(ctx.store, key, state);
    }
  }
  await raw.close();
  await rejects.close();
  await rejectsCsv.close();
  return { source: source.name, entity: source.entity, ...run, rawKeys: raw.keys, rejectsCsvKeys: rejectsCsv.keys };
}

/**
 * Where this run's rejects CSV is and its top three reasons, for the extract log line. The place
 * is the store's own (an absolute path locally, s3://… in AWS); the CLI shows lake paths
 * relative to where the user stands.
 */
function rejectsNote(ctx: StageContext, summary: ExtractSummary): string {
  if (summary.rejectsCsvKeys.length === 0) return '';
  const top = Object.entries(summary.rejectedByReason)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .slice(0, 3)
    .map(([reason, n]) => `${reason} ${n}`);
  return `; rejects in ${summary.rejectsCsvKeys.map((k) => ctx.store.locate(k)).join(', ')} (${top.join(', ')})`;
}

/** extract: each source's new rows → raw/ (canonical gzipped NDJSON) and rejects/ (row + reason). */
export async function extract(ctx: StageContext): Promise<ExtractSummary[]> {
  const summaries: ExtractSummary[] = [];
  const batch = nextBatch(ctx);
  for (const source of ctx.sources) {
    ctx.progress.start(`extract ${source.name}`, 0);
    try {
      summaries.push(await extractSource(ctx, source, batch));
    } finally {
      ctx.progress.stop();
    }
    const last = summaries[summaries.length - 1]!;
    ctx.log(`extract ${source.name} (${source.entity}): ${last.rowsRead} read, ${last.rowsAccepted} accepted, ${last.rowsRejected} rejected${rejectsNote(ctx, last)}`);
  }
  return summaries;
}
