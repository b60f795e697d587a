import type { S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createS3Client, S3Store } from '../../functions/adapters/aws/s3Store.ts';
import { ObjectStoreError } from '../../functions/errors.ts';
import { lakeKeys } from '../../functions/model/lakeKeys.ts';
import { getJson, putJson } from '../../functions/ports/objectStore.ts';
import { startS3rver } from '../support/s3rver.ts';

/**
 * The S3 adapter against a real S3-protocol server, s3rver, on 127.0.0.1 at a random port. The
 * client is the one the store builds from the SDK's own AWS_ENDPOINT_URL_S3, as in a deployment
 * pointed at an S3-compatible endpoint. s3rver does not implement If-None-Match on PUT, so the
 * conditional put is tested at the SDK boundary (test/unit/s3-store.test.ts).
 */
const bucket = 'pulse-lake';
let server: ChildProcess;
let directory: string;
let client: S3Client;
/** The commands the client sent, by name: how many pages a listing took, how many parts an upload. */
const sent: string[] = [];

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'pulse-s3rver-'));
  const started = await startS3rver(directory);
  server = started.process;
  const port = started.port;
  // s3rver checks signatures against its fixed S3RVER / S3RVER key pair (its README).
  vi.stubEnv('AWS_ENDPOINT_URL_S3', `http://127.0.0.1:${port}`);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  client = createS3Client();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(context.commandName as string);
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
});

afterAll(async () => {
  client?.destroy();
  if (server && server.exitCode === null) {
    const exited = once(server, 'exit');
    server.kill('SIGTERM');
    await exited;
  }
  vi.unstubAllEnvs();
  await rm(directory, { recursive: true, force: true });
});

beforeEach(() => {
  sent.length = 0;
});

const lake = () => new S3Store(`s3://${bucket}/pulse`, { client });

/** Writes `count` small objects under `prefix`, 50 at a time. */
async function putMany(store: S3Store, prefix: string, count: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => `${prefix}part-${String(i).padStart(5, '0')}.ndjson.gz`);
  for (let start = 0; start < keys.length; start += 50) {
    await Promise.all(keys.slice(start, start + 50).map((key) => store.put(key, key)));
  }
  return keys;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('S3Store on s3rver', () => {
  it("builds its client from the SDK's AWS_ENDPOINT_URL_S3: path-style, checksums only where S3 requires them", async () => {
    // assess: every other test reaching s3rver shows the endpoint came from the variable. A streamed PutObject under the default (WHEN_SUPPORTED) is framed aws-chunked, and s3rver stores the frame as the object.
    expect(await client.config.forcePathStyle).toBe(true);
    expect(await client.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
  });

  it('puts and gets text and binary byte-exact, and locates keys under the lake prefix', async () => {
    // prepare
    const store = lake();
    const binary = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(64 * 1024)]);
    const text = 'ticket_id,subject\n1,"Café — naïve résumé ✓"\n';
    // act
    await store.put('raw/tickets/a.bin', binary);
    await store.put('reports/2026-10/kpis.json', text);
    // assess
    expect((await store.get('raw/tickets/a.bin'))!.equals(binary)).toBe(true);
    expect((await store.get('reports/2026-10/kpis.json'))!.toString('utf8')).toBe(text);
    expect(store.locate('reports/2026-10/kpis.json')).toBe('s3://pulse-lake/pulse/reports/2026-10/kpis.json');
  });

  it('gets undefined for a missing key, and a non-retryable error naming the bucket for a missing bucket', async () => {
    // act
    const missing = await lake().get('reports/1999-01/kpis.json');
    const noBucket = await new S3Store('s3://no-such-bucket/pulse', { client })
      .get('x.json')
      .catch((error: unknown) => error);
    // assess
    expect(missing).toBeUndefined();
    expect(noBucket).toBeInstanceOf(ObjectStoreError);
    expect((noBucket as ObjectStoreError).retryable).toBe(false);
    expect((noBucket as ObjectStoreError).message).toMatch(
      /^S3 could not read s3:\/\/no-such-bucket\/pulse\/x\.json: bucket no-such-bucket does not exist/,
    );
    expect((noBucket as ObjectStoreError).message).not.toContain('S3RVER');
  });

  it('lists 1,205 keys past the 1,000-key page, relative to the lake and sorted, and nothing outside the prefix', async () => {
    // prepare
    const store = lake();
    const prefix = lakeKeys.rawPrefix('tickets', 'zendesk', '2026-10-01');
    const keys = await putMany(store, prefix, 1205);
    await store.put(lakeKeys.rawPart('tickets', 'zendesk', '2026-10-02', 'run1', 0), 'next day');
    sent.length = 0;
    // act
    const listed = await store.list(prefix);
    // assess
    expect(listed).toHaveLength(1205);
    expect(listed).toEqual([...keys].sort());
    expect(listed[0]).toBe('raw/tickets/source=zendesk/ingest_date=2026-10-01/part-00000.ndjson.gz');
    expect(sent.filter((name) => name === 'ListObjectsV2Command')).toHaveLength(2);
  });

  it('lists objects with their size, LastModified and ETag: the same bytes put again keep the ETag, others change it', async () => {
    // prepare
    const store = lake();
    const key = 'curated/tickets/month=2026-10/data_0.parquet';
    await store.put(key, 'first');
    await store.put('curated/tickets/month=2026-11/data_0.parquet', 'other month');
    // act
    const [first] = await store.listObjects('curated/tickets/month=2026-10/');
    await store.put(key, 'first');
    const [same] = await store.listObjects('curated/tickets/month=2026-10/');
    await store.put(key, 'fresh');
    const [changed] = await store.listObjects('curated/tickets/month=2026-10/');
    // assess: a single-part PUT's ETag is the MD5 of its bytes (S3 API reference, Object), quotes off.
    expect(first).toMatchObject({ key, size: 5, etag: createHash('md5').update('first').digest('hex') });
    expect(Number.isNaN(Date.parse(first!.lastModified))).toBe(false);
    expect(same!.etag).toBe(first!.etag);
    expect(changed!.etag).not.toBe(first!.etag);
    expect((await store.listObjects('curated/tickets/')).map((o) => o.key)).toEqual(
      await store.list('curated/tickets/'),
    );
  });

  it('uploads a 12 MB stream in parts and reads it back byte-exact', async () => {
    // prepare
    const store = lake();
    const body = randomBytes(12 * 1024 * 1024 + 12_345);
    const chunks = function* () {
      for (let start = 0; start < body.length; start += 64 * 1024) yield body.subarray(start, start + 64 * 1024);
    };
    // act
    await store.putStream('raw/tickets/big.ndjson.gz', Readable.from(chunks()));
    const back = await store.get('raw/tickets/big.ndjson.gz');
    // assess: 5 MiB parts, so 3 parts; an aws-chunked frame stored as the object would change the bytes.
    expect(sent.filter((name) => name === 'UploadPartCommand')).toHaveLength(3);
    expect(sent).toContain('CompleteMultipartUploadCommand');
    expect(back!.length).toBe(body.length);
    expect(sha256(back!)).toBe(sha256(body));
  });

  it('uploads a stream smaller than one part with a single put, byte-exact', async () => {
    // prepare
    const store = lake();
    const body = Buffer.from('{"ticket_id":1}\n{"ticket_id":2}\n');
    // act
    await store.putStream('rejects/tickets/small.ndjson', Readable.from([body]));
    // assess
    expect(sent).toContain('PutObjectCommand');
    expect(sent).not.toContain('CreateMultipartUploadCommand');
    expect((await store.get('rejects/tickets/small.ndjson'))!.equals(body)).toBe(true);
  });

  it('deletes a prefix of 1,205 keys in two DeleteObjects batches, sparing sibling prefixes', async () => {
    // prepare
    const store = lake();
    await putMany(store, 'marts/tickets/month=2026-10/', 1205);
    await store.put('marts/tickets/month=2026-100/kept.parquet', 'sibling');
    await store.put('marts/tickets_daily/kept.parquet', 'sibling');
    sent.length = 0;
    // act: no trailing slash, as duckdbEngine calls it; the folder semantics of the local store hold.
    await store.deletePrefix('marts/tickets/month=2026-10');
    // assess
    expect(sent.filter((name) => name === 'DeleteObjectsCommand')).toHaveLength(2);
    expect(await store.list('marts/tickets/month=2026-10/')).toEqual([]);
    expect(await store.list('marts/')).toEqual([
      'marts/tickets/month=2026-100/kept.parquet',
      'marts/tickets_daily/kept.parquet',
    ]);
  });

  it('deletes a single file named as the prefix (render deletes withheld.json so)', async () => {
    // prepare
    const store = lake();
    await store.put(lakeKeys.withheld('2026-10', 'finance'), '[]');
    await store.put(lakeKeys.audienceReport('2026-10', 'finance'), '{}');
    // act
    await store.deletePrefix(lakeKeys.withheld('2026-10', 'finance'));
    // assess
    expect(await store.list('reports/2026-10/finance/')).toEqual(['reports/2026-10/finance/kpis.json']);
  });

  it('carries a lakeKeys tree through putJson and getJson, as the stages use it', async () => {
    // prepare
    const store = lake();
    const watermark = { watermark: '2026-10-31T23:59:59Z', rows: 1205 };
    // act
    await putJson(store, lakeKeys.sourceState('zendesk', 'tickets'), watermark);
    await putJson(store, lakeKeys.curateState('tickets'), { parts: ['a', 'b'] });
    await putJson(store, lakeKeys.report('2026-10'), { kpis: [] });
    // assess
    expect(await getJson(store, lakeKeys.sourceState('zendesk', 'tickets'))).toEqual(watermark);
    expect(await getJson(store, lakeKeys.curateState('tickets'))).toEqual({ parts: ['a', 'b'] });
    expect(await getJson(store, lakeKeys.sourceState('hubspot', 'tickets'))).toBeUndefined();
    expect(await store.list('state/')).toEqual(['state/_curate/tickets.json', 'state/zendesk/tickets.json']);
  });
});
