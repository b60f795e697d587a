import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3Store } from '../../functions/adapters/aws/s3Store.ts';
import { S3TableManifests } from '../../functions/adapters/aws/tableManifests.ts';
import { ObjectStoreError } from '../../functions/errors.ts';
import { startS3rver, stopS3rver } from '../support/s3rver.ts';

/**
 * A table's month manifests against s3rver on loopback: what a commit writes, how it is read back
 * with its ETag, and the copies, listings and deletes an Athena write makes around it. s3rver
 * ignores If-Match and If-None-Match on PUT, so the 412 answers are tested at the SDK boundary
 * (test/unit/table-manifests.test.ts).
 */
let server: ChildProcess;
let directory: string;
const lake = 's3://pulse-lake/tenant';

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'pulse-manifests-'));
  const started = await startS3rver(directory);
  server = started.process;
  vi.stubEnv('AWS_ENDPOINT_URL_S3', `http://127.0.0.1:${started.port}`);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
  vi.stubEnv('AWS_REGION', 'us-east-1');
});

afterAll(async () => {
  await stopS3rver(server);
  vi.unstubAllEnvs();
  await rm(directory, { recursive: true, force: true });
});

describe('S3TableManifests on s3rver', () => {
  it('commits months and reads every one back by month, with the lake keys they name and their ETags', async () => {
    // prepare
    const manifests = new S3TableManifests(lake);
    const store = new S3Store(lake);
    // act
    await manifests.commit('marts/trc/', '2026-09', ['marts/trc/w=a/month=2026-09/f0.parquet']);
    await manifests.commit('marts/trc/', '2026-10', [
      'marts/trc/w=a/month=2026-10/f0.parquet',
      'marts/trc/w=a/month=2026-10/f1.parquet',
    ]);
    await manifests.commit('marts/trc/', '2026-11', []);
    const read = await manifests.readAll('marts/trc/');
    // assess
    expect([...read.keys()].sort()).toEqual(['2026-09', '2026-10', '2026-11']);
    expect(read.get('2026-10')!.keys).toEqual([
      'marts/trc/w=a/month=2026-10/f0.parquet',
      'marts/trc/w=a/month=2026-10/f1.parquet',
    ]);
    expect(read.get('2026-11')!.keys).toEqual([]);
    expect(read.get('2026-09')!.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect((await store.get('_manifests/marts/trc/month=2026-09/manifest'))!.toString()).toBe(
      's3://pulse-lake/tenant/marts/trc/w=a/month=2026-09/f0.parquet\n',
    );
  });

  it('copies, lists and deletes exact keys, leaving their neighbours', async () => {
    // prepare
    const manifests = new S3TableManifests(lake);
    const store = new S3Store(lake);
    await store.put('curated/_staging/tickets/f1/month=2026-10/q_0.parquet', 'PAR1…PAR1');
    await store.put('curated/tickets/month=2026-10/old.parquet', 'old');
    // act
    await manifests.copy(
      'curated/_staging/tickets/f1/month=2026-10/q_0.parquet',
      'curated/tickets/w=b/month=2026-10/q_0.parquet',
    );
    await manifests.delete(['curated/tickets/month=2026-10/old.parquet']);
    // assess
    expect(await manifests.list('curated/tickets/')).toEqual(['curated/tickets/w=b/month=2026-10/q_0.parquet']);
    expect((await store.get('curated/tickets/w=b/month=2026-10/q_0.parquet'))!.toString()).toBe('PAR1…PAR1');
    expect(await store.get('curated/_staging/tickets/f1/month=2026-10/q_0.parquet')).toBeDefined();
  });

  it('refuses a manifest that names a file outside the lake, naming both', async () => {
    // prepare
    const store = new S3Store(lake);
    await store.put('_manifests/marts/volume/month=2026-10/manifest', 's3://elsewhere/x.parquet\n');
    // act
    const read = new S3TableManifests(lake).readAll('marts/volume/');
    // assess
    await expect(read).rejects.toThrow(ObjectStoreError);
    await expect(read).rejects.toThrow(/names s3:\/\/elsewhere\/x\.parquet, which is outside the lake/);
  });
});
