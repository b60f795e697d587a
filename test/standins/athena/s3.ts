import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

/**
 * The stand-in's only way to the lake: the S3 API of the server it is given (s3rver in tests).
 * Objects it reads are copied into a local folder, once per ETag, for DuckDB to scan; what it
 * writes is written locally and then put, key by key.
 */
export interface S3Object {
  key: string;
  etag: string;
  size: number;
}

export const parseUri = (uri: string): { bucket: string; prefix: string } => {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`not an S3 URI: ${uri}`);
  return { bucket: match[1]!, prefix: match[2]! };
};

export class LakeS3 {
  readonly client: S3Client;
  /** bucket/key → the ETag of the copy in `cache`. */
  private readonly copies = new Map<string, string>();
  private readonly buckets = new Set<string>();

  constructor(
    endpoint: string,
    private readonly cache: string,
  ) {
    this.client = new S3Client({
      endpoint,
      region: process.env.AWS_REGION ?? 'us-east-1',
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async list(bucket: string, prefix: string): Promise<S3Object[]> {
    const out: S3Object[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) out.push({ key: o.Key!, etag: o.ETag ?? '', size: o.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /** Whether nothing lies under the prefix (a CTAS or UNLOAD target must be empty). */
  async isEmpty(bucket: string, prefix: string): Promise<boolean> {
    const page = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1 }));
    return (page.Contents ?? []).length === 0;
  }

  /** The local path of an object's copy, fetched if it is missing or changed. */
  async local(bucket: string, object: S3Object): Promise<string> {
    const file = path.join(this.cache, bucket, object.key);
    const id = `${bucket}/${object.key}`;
    if (this.copies.get(id) === object.etag) return file;
    await mkdir(path.dirname(file), { recursive: true });
    const got = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: object.key }));
    await pipeline(got.Body as Readable, createWriteStream(file));
    this.copies.set(id, object.etag);
    return file;
  }

  async put(bucket: string, key: string, file: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await readFile(file) }));
  }

  async putText(bucket: string, key: string, text: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text }));
  }

  /** Creates the bucket when it does not exist (the results bucket, which the stack would create). */
  async ensureBucket(bucket: string): Promise<void> {
    if (this.buckets.has(bucket)) return;
    this.buckets.add(bucket);
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch {
      await this.client.send(new CreateBucketCommand({ Bucket: bucket }));
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
    await rm(this.cache, { recursive: true, force: true });
  }
}
