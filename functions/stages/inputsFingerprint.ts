import { createHash } from 'node:crypto';
import { sqlFiles } from '../dialect/sqlFiles.generated.ts';
import { getJson, putJson, type ObjectStore, type StoredObject } from '../ports/objectStore.ts';
import { codeVersion } from '../runtime/codeVersion.ts';
import type { StageContext } from './context.ts';

/**
 * What a stage reads, to tell whether its outputs would come out the same (docs/design.md,
 * "Re-runs"): lake prefixes, narrowed by `reads` to the keys it reads, and its settings (the
 * config's keys it reads, the period). The code that runs is always part of it.
 */
export interface StageInputs {
  prefixes: string[];
  reads?: (key: string) => boolean;
  settings: Record<string, unknown>;
  /** Whether the stage runs the SQL of sql/ (functions/dialect/sqlFiles.generated.ts). */
  sql?: boolean;
}

/** A hash of every part of a stage's inputs (`lake`, `code`, `sql`, and one per setting), and of them all. */
export interface InputsFingerprint {
  fingerprint: string;
  parts: Record<string, string>;
}

/** What a stage writes beside its outputs: what they were computed from, when, and what they are. */
export interface InputsRecord<Summary> extends InputsFingerprint {
  runId: string;
  /** When the outputs were written (the run's clock). */
  writtenAt: string;
  /** Every key written: all must still be there for the outputs to be kept. */
  outputs: string[];
  /** What the stage returned when it wrote them, returned again when it keeps them. */
  summary: Summary;
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex');

/** JSON with every object's keys sorted: the same settings hash alike however the config file orders them. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * An object as it stands: its ETag where the store gives one (S3: the same bytes written again
 * keep it), else its size and modification time (a folder: any rewrite counts as a change).
 */
const identity = (o: StoredObject) => [o.key, o.size, o.etag ?? o.lastModified];

/** The fingerprint of a stage's inputs as they stand: one listing per prefix, and hashes of the rest. */
export async function fingerprintInputs(store: ObjectStore, inputs: StageInputs): Promise<InputsFingerprint> {
  const objects: unknown[] = [];
  for (const prefix of inputs.prefixes) {
    for (const o of await store.listObjects(prefix))
      if (!inputs.reads || inputs.reads(o.key)) objects.push(identity(o));
  }
  const parts: Record<string, string> = {
    lake: hash(JSON.stringify(objects)),
    code: codeVersion(),
    ...(inputs.sql ? { sql: hash(stableJson(sqlFiles)) } : {}),
  };
  for (const [name, value] of Object.entries(inputs.settings)) parts[name] = hash(stableJson(value ?? null));
  return { fingerprint: hash(stableJson(parts)), parts };
}

/** The record a stage wrote beside its outputs last time, if any. */
export async function inputsRecord<Summary>(
  store: ObjectStore,
  key: string,
): Promise<InputsRecord<Summary> | undefined> {
  return getJson<InputsRecord<Summary>>(store, key);
}

/**
 * Whether a record's outputs may be kept: written from the same inputs, every one still in the
 * lake (listed under `under`, in one listing).
 */
export async function unchanged(
  store: ObjectStore,
  record: InputsRecord<unknown>,
  current: InputsFingerprint,
  under: string,
): Promise<boolean> {
  if (record.fingerprint !== current.fingerprint) return false;
  const present = new Set(await store.list(under));
  return record.outputs.every((output) => present.has(output));
}

/** The parts that differ from a record's, for the log: the lake, the code, the SQL, or a setting. */
export function changedParts(record: InputsRecord<unknown>, current: InputsFingerprint): string[] {
  const names = new Set([...Object.keys(record.parts), ...Object.keys(current.parts)]);
  return [...names].filter((name) => record.parts[name] !== current.parts[name]).sort();
}

/**
 * A stage's outputs, kept or computed: kept (their summary returned, with when they were written)
 * when the record beside them says they came from the same inputs and every one is still there,
 * unless --force. Otherwise the record goes first, so a stage stopped part-way leaves nothing to
 * keep; `compute` writes the outputs, and the record is written anew naming them. `name` heads
 * the log line that says what changed.
 */
export async function keepOrCompute<Summary>(
  ctx: Pick<StageContext, 'store' | 'force' | 'runId' | 'now' | 'log'>,
  place: { name: string; record: string; under: string },
  stageInputs: StageInputs,
  compute: () => Promise<{ summary: Summary; outputs: string[] }>,
): Promise<{ summary: Summary; keptSince?: string }> {
  const inputs = await fingerprintInputs(ctx.store, stageInputs);
  const before = await inputsRecord<Summary>(ctx.store, place.record);
  if (before && !ctx.force && (await unchanged(ctx.store, before, inputs, place.under)))
    return { summary: before.summary, keptSince: before.writtenAt };
  if (before) {
    const changed = changedParts(before, inputs);
    if (changed.length > 0) ctx.log(`${place.name}: ${changed.join(', ')} changed since ${before.writtenAt}`);
    await ctx.store.deletePrefix(place.record);
  }
  const { summary, outputs } = await compute();
  await putJson(ctx.store, place.record, {
    ...inputs,
    runId: ctx.runId,
    writtenAt: ctx.now.toISOString(),
    outputs: [...new Set(outputs)].sort(),
    summary,
  } satisfies InputsRecord<Summary>);
  return { summary };
}
