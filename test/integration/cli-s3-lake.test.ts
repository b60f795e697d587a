import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../../functions/adapters/aws/s3Store.ts';
import { main } from '../../functions/cli/main.ts';
import { getJson } from '../../functions/ports/objectStore.ts';
import type { SourceState } from '../../functions/stages/extract.ts';
import { serveS3ForTests } from '../support/s3rver.ts';

/**
 * `pulse run --stages extract` with an s3:// lake and AWS_ENDPOINT_URL_S3 pointing at a real
 * S3-protocol server on loopback: the CLI uses the S3 adapter, and the raw parts and the state
 * land in the bucket under the lake's keys, as the extract Lambda will write them: split into
 * numbered cells, which is what Athena can read.
 */
const dir = path.resolve(import.meta.dirname, '../../.tmp/cli-s3-lake');
let s3: { stop: () => Promise<void> };

beforeAll(async () => {
  s3 = await serveS3ForTests('cli');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'exports'), { recursive: true });
  writeFileSync(
    path.join(dir, 'exports/tickets.csv'),
    [
      'id,created_at,updated_at,status',
      'T1,2026-10-01T09:00:00Z,2026-10-01T10:00:00Z,solved',
      'T2,2026-10-02T09:00:00Z,2026-10-02T10:00:00Z,open',
      'T3,not a time,2026-10-03T10:00:00Z,open',
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(dir, 'pulse.config.json'),
    JSON.stringify({
      lake: 's3://pulse-lake/acme',
      sources: [{ name: 'desk', type: 'csv', entity: 'tickets', path: 'exports/tickets.csv' }],
    }),
  );
});

afterAll(async () => {
  await s3.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the CLI on an s3:// lake', () => {
  it('extracts into the bucket: raw parts, rejects and the watermark under the lake prefix', async () => {
    const out: string[] = [];
    const code = await main(
      ['run', '--config', path.join(dir, 'pulse.config.json'), '--period', '2026-10', '--stages', 'extract', '--json'],
      { out: (s) => void out.push(s) },
    );
    expect(code).toBe(0);
    expect(JSON.parse(out.join('')).lake).toBe('s3://pulse-lake/acme');
    const lake = new S3Store('s3://pulse-lake/acme');
    const raw = await lake.list('raw/');
    expect(raw).toHaveLength(1);
    expect(raw[0]).toMatch(/^raw\/tickets\/source=desk\/ingest_date=\d{4}-\d{2}-\d{2}\/[^/]+-0000\.ndjson\.gz$/);
    // An s3:// lake runs on Athena, whose CSV reader gives no row order: the export lands as
    // numbered rows of its cells, untyped (ELT), and nothing is rejected before curate.
    const lines = gunzipSync((await lake.get(raw[0]!))!)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const exported = readFileSync(path.join(dir, 'exports', 'tickets.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    expect(lines).toEqual(
      exported.map((line, i) => ({ _row: i + 1, _line: i + 2, _reject: null, _message: null, c: line.split(',') })),
    );
    expect(await lake.list('rejects/')).toEqual([]);
    const state = await getJson<SourceState>(lake, 'state/desk/tickets.json');
    expect(state!.landed).toEqual([
      expect.objectContaining({ key: raw[0], format: 'cells', unit: 'exports/tickets.csv' }),
    ]);
    expect(state!.landed[0]!.layout).toMatchObject({
      delimiter: ',',
      skipLines: 1,
      header: ['id', 'created_at', 'updated_at', 'status'],
    });
    // The file's fingerprint is kept all the same: an unchanged export is not landed again.
    expect(Object.values((state!.watermark as { files: Record<string, { sha256: string }> }).files)[0]!.sha256).toBe(
      createHash('sha256')
        .update(readFileSync(path.join(dir, 'exports', 'tickets.csv')))
        .digest('hex'),
    );
    expect(state!.units).toEqual({});
  });
});
