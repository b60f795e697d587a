import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderStore } from '../../functions/adapters/local/folderStore.ts';
import {
  changedParts,
  fingerprintInputs,
  unchanged,
  type InputsRecord,
  type StageInputs,
} from '../../functions/stages/inputsFingerprint.ts';

/** The fingerprint of what a stage reads, on a folder lake: what changes it, and what does not. */
let root: string;
let store: FolderStore;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pulse-fingerprint-'));
  store = new FolderStore(root);
  await store.put('marts/kpi_monthly/month=2026-10/data_0.parquet', 'rows');
  await store.put('state/helpdesk/tickets.json', '{}');
  await store.put('state/_marts/built.json', '{}');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const inputs = (settings: Record<string, unknown>): StageInputs => ({
  prefixes: ['marts/', 'state/'],
  reads: (key) => key !== 'state/_marts/built.json',
  settings,
  sql: true,
});

describe('fingerprintInputs', () => {
  it('is the same for the same lake and settings, however the settings order their keys', async () => {
    // act
    const one = await fingerprintInputs(store, inputs({ targets: { a: { target: 1, warning: 2 } } }));
    const two = await fingerprintInputs(store, inputs({ targets: { a: { warning: 2, target: 1 } } }));
    // assess
    expect(two.fingerprint).toBe(one.fingerprint);
    expect(Object.keys(one.parts).sort()).toEqual(['code', 'lake', 'sql', 'targets']);
  });

  it('names the part that changed: a setting, or a file it reads rewritten, but not a file it does not read', async () => {
    // prepare
    const before = await fingerprintInputs(store, inputs({ targets: { a: 1 } }));
    // act
    const target = await fingerprintInputs(store, inputs({ targets: { a: 2 } }));
    await store.put('state/_marts/built.json', '{"fingerprint": "new"}');
    const unread = await fingerprintInputs(store, inputs({ targets: { a: 1 } }));
    // A rewrite of the same bytes a second later: a folder has no ETag, its time tells.
    const file = store.locate('state/helpdesk/tickets.json');
    await utimes(file, new Date(), new Date(Date.now() + 1000));
    const touched = await fingerprintInputs(store, inputs({ targets: { a: 1 } }));
    // assess
    const record = { ...before, runId: 'r', writtenAt: 'w', outputs: [], summary: null };
    expect(changedParts(record, target)).toEqual(['targets']);
    expect(unread.fingerprint).toBe(before.fingerprint);
    expect(changedParts(record, touched)).toEqual(['lake']);
  });

  it('keeps outputs only when the fingerprint matches and every output is still there', async () => {
    // prepare
    await store.put('reports/2026-10/kpis.json', '{}');
    const current = await fingerprintInputs(store, inputs({}));
    const record: InputsRecord<null> = {
      ...current,
      runId: 'r',
      writtenAt: 'w',
      outputs: ['reports/2026-10/kpis.json', 'reports/2026-10/queries.json'],
      summary: null,
    };
    // act
    const missingOne = await unchanged(store, record, current, 'reports/2026-10/');
    await store.put('reports/2026-10/queries.json', '{}');
    const allThere = await unchanged(store, record, current, 'reports/2026-10/');
    const otherInputs = await unchanged(store, { ...record, fingerprint: 'x' }, current, 'reports/2026-10/');
    // assess
    expect([missingOne, allThere, otherInputs]).toEqual([false, true, false]);
  });
});
