import { stat } from 'node:fs/promises';
import { entityByName } from '../model/index.ts';
import { lakeKeys } from '../model/lakeKeys.ts';
import { faultPoint } from '../runtime/faultPoint.ts';
import { getJson, putJson } from '../ports/objectStore.ts';
import type { CellRow, CsvLayout, Source, SourceChunk } from '../ports/source.ts';
import type { StageContext } from './context.ts';
import { NdjsonPartWriter } from './rawWriter.ts';
import { removeUnrecordedParts } from './unrecordedParts.ts';
import { emptySourceState, type LandedPart, type SourceState } from './sourceState.ts';
import { inPool } from '../runtime/inPool.ts';

export { emptyCounts, sourceTotals, type RowCounts, type SourceState } from './sourceState.ts';

export interface ExtractSummary {
  source: string;
  entity: string;
  /** Units landed as exported (the engine reads them as they are), and split by Pulse's reader. */
  landedAsIs: number;
  landedSplit: number;
  /** Rows of the split units and API records landed (a file landed as is is counted by curate). */
  rowsLanded: number;
  rawKeys: string[];
  /** False when the stage's deadline stopped it before the source had nothing more: run it again. */
  drained: boolean;
}

/** A source's summary before it has landed anything. */
const emptySummary = (source: Source, drained: boolean): ExtractSummary => ({
  source: source.name,
  entity: source.entity,
  landedAsIs: 0,
  landedSplit: 0,
  rowsLanded: 0,
  rawKeys: [],
  drained,
});

const pastDeadline = (ctx: StageContext) => ctx.deadline !== undefined && Date.now() >= ctx.deadline;

export const stateKey = lakeKeys.sourceState;

/** A split row as one NDJSON line of a `cells` part (what the engine's registerLanded reads). */
export function cellsLine(row: CellRow): Record<string, unknown> {
  return {
    _row: row.row,
    _line: row.line,
    _reject: row.reject ?? null,
    _message: row.message ?? null,
    c: row.cells ?? null,
  };
}

/**
 * Each extract in a run is its own batch: its raw parts never overwrite an earlier extract's,
 * and their keys sort after theirs, so landing order breaks ties between equal versions.
 */
const extractsPerRun = new WeakMap<StageContext, number>();
function nextBatch(ctx: StageContext): string {
  const n = extractsPerRun.get(ctx) ?? 0;
  extractsPerRun.set(ctx, n + 1);
  // The clock too: a run's extract invoked again (the Lambda loop after a deadline) has a context
  // of its own, and its parts must not land on the keys of the invocation before.
  return `${ctx.runId}-${Date.now().toString(36)}${String(n).padStart(3, '0')}`;
}

async function extractSource(
  ctx: StageContext,
  source: Source,
  batch: string,
  landed: (rows: number, bytes: number) => void,
): Promise<ExtractSummary> {
  if (!entityByName(source.entity)) throw new Error(`source ${source.name}: unknown entity ${source.entity}`);
  const key = stateKey(source.name, source.entity);
  const state: SourceState = { ...emptySourceState(), ...((await getJson<SourceState>(ctx.store, key)) ?? {}) };
  state.landed ??= [];
  await removeUnrecordedParts(ctx, source, state);
  const ingestDate = ctx.now.toISOString().slice(0, 10);
  let part = 0;
  const nextKey = (extension: string) =>
    lakeKeys.rawPart(source.entity, source.name, ingestDate, batch, part++, extension);
  const summary = emptySummary(source, true);
  // Parts written since the last saved watermark: registered with it, once they are durable.
  let pending: LandedPart[] = [];
  let writer:
    | {
        ndjson: NdjsonPartWriter;
        unit: string;
        name: string;
        format: 'cells' | 'records';
        layout?: CsvLayout;
        rows: number;
      }
    | undefined;
  const closeWriter = async () => {
    if (!writer) return;
    await writer.ndjson.close();
    // A split export is one writer from its first row to its watermark: one unit split.
    if (writer.format === 'cells') summary.landedSplit += 1;
    for (const k of writer.ndjson.keys)
      pending.push({
        key: k,
        format: writer.format,
        unit: writer.unit,
        name: writer.name,
        landing: batch,
        ...(writer.layout ? { layout: writer.layout } : {}),
      });
    writer = undefined;
  };
  const writerFor = async (chunk: SourceChunk, format: 'cells' | 'records') => {
    const unit = chunk.unit ?? '';
    // API pages share a part until it is checkpointed: the part is named by its first page.
    if (writer && (writer.format !== format || (format !== 'records' && writer.unit !== unit))) await closeWriter();
    writer ??= {
      ndjson: new NdjsonPartWriter(ctx.store, () => nextKey('ndjson.gz')),
      unit,
      name: chunk.name ?? source.name,
      format,
      ...(chunk.cells ? { layout: chunk.cells.layout } : {}),
      rows: 0,
    };
    return writer.ndjson;
  };
  // The watermark is saved only once the parts it covers are durable in raw/.
  const save = async (watermark: unknown) => {
    await closeWriter();
    state.landed.push(...pending);
    summary.rawKeys.push(...pending.map((p) => p.key));
    pending = [];
    state.watermark = watermark;
    state.lastExtractAt = ctx.now.toISOString();
    await putJson(ctx.store, key, state);
  };
  // An API source's pages are gathered into parts of up to checkpointRecords records, and the
  // watermark of a part's last page is saved when the part closes: fewer, larger parts for
  // curate, and a crash re-reads at most one part's pages.
  const checkpoint = source.checkpointRecords ?? 0;
  let deferred: { watermark: unknown } | undefined;
  for await (const chunk of source.pull(state.watermark, {
    reextract: ctx.reextract ?? false,
    landAsIs: ctx.engine.readsExportsInPlace,
  })) {
    if (chunk.note) ctx.log(`extract ${source.name}: ${chunk.note}`);
    if (chunk.file) {
      await closeWriter();
      const rawKey = nextKey('csv');
      // Byte for byte, not gzipped: a gzip stream is read by one thread, a plain CSV by all of
      // them (DuckDB read a 232 MB export in 2.3 s gzipped, in 0.6 s plain).
      await ctx.store.putFile(rawKey, chunk.file.path);
      faultPoint('extract:landed');
      landed(0, (await stat(chunk.file.path)).size);
      pending.push({
        key: rawKey,
        format: 'csv',
        unit: chunk.unit ?? '',
        name: chunk.name ?? rawKey,
        landing: batch,
        layout: chunk.file.layout,
      });
      summary.landedAsIs += 1;
    }
    if (chunk.cells) {
      const ndjson = await writerFor(chunk, 'cells');
      for (const row of chunk.cells.rows) {
        await ndjson.write(cellsLine(row));
      }
      summary.rowsLanded += chunk.cells.rows.length;
      landed(chunk.cells.rows.length, textBytes(chunk.cells.rows.flatMap((r) => r.cells ?? [])));
    }
    if (chunk.records) {
      const ndjson = await writerFor(chunk, 'records');
      // Each record numbered in its part, as a split export's rows are: Athena has no row order to read.
      for (const record of chunk.records) await ndjson.write({ _row: ndjson.nextRow, ...record });
      writer!.rows += chunk.records.length;
      summary.rowsLanded += chunk.records.length;
      landed(chunk.records.length, textBytes(chunk.records.flatMap((r) => Object.values(r))));
    }
    if (chunk.watermark !== undefined) {
      if (chunk.records && checkpoint > 0 && (writer?.rows ?? 0) < checkpoint && !pastDeadline(ctx)) {
        deferred = { watermark: chunk.watermark };
        continue;
      }
      deferred = undefined;
      await save(chunk.watermark);
      // Out of time: what is landed is durable and covered by the watermark; the next run
      // (the state machine invokes extract again) goes on from it.
      if (pastDeadline(ctx)) {
        summary.drained = false;
        break;
      }
    }
  }
  if (deferred) await save(deferred.watermark);
  await closeWriter();
  if (pending.length > 0) {
    state.landed.push(...pending);
    summary.rawKeys.push(...pending.map((p) => p.key));
    state.lastExtractAt = ctx.now.toISOString();
    await putJson(ctx.store, key, state);
  }
  return summary;
}

/** The bytes of the text values a split export's rows or an API's records hold, for the progress bar. */
const textBytes = (values: readonly (string | null)[]) =>
  values.reduce((n, v) => n + (v === null ? 0 : Buffer.byteLength(v)), 0);

/** Sources read at once: API sources wait on the network, export files on the disk. */
export const extractConcurrency = 4;

/** extract: each source's new data → raw/, as the source gave it (untyped; curate validates), a few sources at once. */
export async function extract(ctx: StageContext): Promise<ExtractSummary[]> {
  const batch = nextBatch(ctx);
  let started = 0;
  let rows = 0;
  let bytes = 0;
  const began = Date.now();
  // An API pull's line: its requests, the rate records land at, and the time rate limits held it.
  const detail = () => {
    // One account's entities share one client: its figures once.
    const api = [...new Set(ctx.sources.map((s) => s.activity?.()))].filter(
      (a): a is { requests: number; waitedMs: number } => a !== undefined,
    );
    const seconds = (Date.now() - began) / 1000;
    const rate = seconds > 0 ? `${Math.round(rows / seconds)}/s` : '';
    // A file landed as is is copied, not read: its rows are counted by curate.
    if (api.length === 0) return rows > 0 ? `${rows} rows split, ${rate}` : '';
    const requests = api.reduce((n, a) => n + a.requests, 0);
    const waited = api.reduce((n, a) => n + a.waitedMs, 0) / 1000;
    return `${requests} requests, ${rate}, ${waited.toFixed(1)} s waited on rate limits`;
  };
  ctx.progress.start(
    ctx.sources.length === 1 ? `extract ${ctx.sources[0]!.name}` : `extract (${ctx.sources.length} sources)`,
    0,
    'bytes',
  );
  try {
    return await inPool(ctx.sources, extractConcurrency, async (source) => {
      // Each extract reads at least up to one watermark, so a run short of time still moves on.
      if (started > 0 && pastDeadline(ctx)) {
        ctx.log(`extract ${source.name} (${source.entity}): not started, out of time; the next extract reads it`);
        return emptySummary(source, false);
      }
      started += 1;
      const summary = await extractSource(ctx, source, batch, (rowsLanded, bytesLanded) => {
        rows += rowsLanded;
        bytes += bytesLanded;
        ctx.progress.update(bytes, detail());
      });
      const split =
        summary.landedSplit > 0 ? `, ${summary.landedSplit} split by Pulse's reader (${summary.rowsLanded} rows)` : '';
      ctx.log(
        `extract ${source.name} (${source.entity}): ${summary.landedAsIs} file(s) landed as exported${split}, ${summary.rawKeys.length} raw part(s)`,
      );
      return summary;
    });
  } finally {
    ctx.progress.stop();
  }
}
