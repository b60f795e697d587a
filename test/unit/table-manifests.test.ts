import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ManifestConflictError, manifestMonth, S3TableManifests } from '../../functions/adapters/aws/tableManifests.ts';
import { conditionalBucket } from '../support/conditionalBucket.ts';

/**
 * A table's month manifests at the SDK boundary, against a bucket that answers conditional puts
 * as the S3 API reference says PutObject does (test/support/conditionalBucket.ts): s3rver, which
 * test/integration/table-manifests.test.ts runs them against, ignores the conditions on PUT.
 */
const { s3, objects, puts, reset } = conditionalBucket();
afterAll(() => s3.restore());
beforeEach(reset);

const manifests = () =>
  new S3TableManifests('s3://pulse-lake/pulse', { client: new S3Client({ region: 'eu-west-1' }) });
const key = 'pulse/_manifests/curated/tickets/month=2026-10/manifest';
const files = ['curated/tickets/w=a1/month=2026-10/q1_0.parquet', 'curated/tickets/w=a1/month=2026-10/q1_1.parquet'];

describe('S3TableManifests.commit', () => {
  it("creates a month's manifest with If-None-Match: *, its files' s3:// URIs one a line", async () => {
    // act
    await manifests().commit('curated/tickets/', '2026-10', files);
    // assess
    expect(puts[0]).toMatchObject({ Bucket: 'pulse-lake', Key: key, IfNoneMatch: '*' });
    expect(objects.get(key)!.body).toBe(
      's3://pulse-lake/pulse/curated/tickets/w=a1/month=2026-10/q1_0.parquet\n' +
        's3://pulse-lake/pulse/curated/tickets/w=a1/month=2026-10/q1_1.parquet\n',
    );
  });

  it('replaces it with If-Match on the ETag it was read with', async () => {
    // prepare
    await manifests().commit('curated/tickets/', '2026-10', files);
    const etag = objects.get(key)!.etag;
    // act
    await manifests().commit('curated/tickets/', '2026-10', ['curated/tickets/w=b2/month=2026-10/q2_0.parquet'], etag);
    // assess
    expect(puts[1]).toMatchObject({ Key: key, IfMatch: etag });
    expect(objects.get(key)!.body).toBe('s3://pulse-lake/pulse/curated/tickets/w=b2/month=2026-10/q2_0.parquet\n');
  });

  it('is refused (412) when another writer committed the month after it was read, and says so', async () => {
    // prepare: two writers read the same manifest; the first commits
    await manifests().commit('curated/tickets/', '2026-10', files);
    const read = objects.get(key)!.etag;
    await manifests().commit('curated/tickets/', '2026-10', ['curated/tickets/w=b2/month=2026-10/q2_0.parquet'], read);
    // act
    const second = manifests().commit('curated/tickets/', '2026-10', ['curated/tickets/w=c3/x.parquet'], read);
    // assess: the first writer's commit stands
    await expect(second).rejects.toThrow(ManifestConflictError);
    await expect(second).rejects.toThrow(/month 2026-10 of curated\/tickets\/ was committed by another writer/);
    expect(objects.get(key)!.body).toContain('w=b2');
  });

  it('is refused (412) when a month it read as absent was created meanwhile', async () => {
    // prepare
    await manifests().commit('curated/tickets/', '2026-10', files);
    // act
    const late = manifests().commit('curated/tickets/', '2026-10', ['curated/tickets/w=c3/x.parquet']);
    // assess
    await expect(late).rejects.toThrow(ManifestConflictError);
    expect(objects.get(key)!.body).toContain('w=a1');
  });

  it('writes an unpartitioned table its one manifest at the root of its manifests', async () => {
    // act
    await manifests().commit('curated/customers/', undefined, ['curated/customers/w=a1/q_0.parquet']);
    // assess
    expect(puts[0]).toMatchObject({ Key: 'pulse/_manifests/curated/customers/manifest', IfNoneMatch: '*' });
  });
});

describe('manifestMonth', () => {
  it("reads a manifest key's month, '' for an unpartitioned table, nothing for another object", () => {
    expect(manifestMonth('marts/trc/', '_manifests/marts/trc/month=2026-10/manifest')).toBe('2026-10');
    expect(manifestMonth('marts/trc/', '_manifests/marts/trc/manifest')).toBe('');
    expect(manifestMonth('marts/trc/', '_manifests/marts/trc/month=2026-10/manifest.tmp')).toBeUndefined();
    expect(manifestMonth('marts/trc/', '_manifests/marts/trc_x/month=2026-10/manifest')).toBeUndefined();
  });
});
