import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * A bucket at the SDK boundary for the lease tests. s3rver ignores If-None-Match and If-Match on
 * PUT (it honours them on GET only), so this small fake keeps one object per key and answers
 * conditional puts as the S3 API reference says PutObject does: If-None-Match: * on an existing
 * key, or If-Match with another ETag (or on a missing key), fails with 412 PreconditionFailed.
 */
export function conditionalBucket() {
  const s3 = mockClient(S3Client);
  const objects = new Map<string, { body: string; etag: string }>();
  const puts: PutObjectCommandInput[] = [];
  const failure = (name: string, status: number, message: string) =>
    new S3ServiceException({
      name,
      $fault: 'client',
      $metadata: { httpStatusCode: status, attempts: 1, totalRetryDelay: 0 },
      message,
    });
  const reset = () => {
    s3.reset();
    objects.clear();
    puts.length = 0;
    s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
      puts.push(input);
      const current = objects.get(input.Key!);
      const refused = () =>
        failure('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold');
      if (input.IfNoneMatch === '*' && current) throw refused();
      if (input.IfMatch !== undefined && current?.etag !== input.IfMatch) throw refused();
      const body = String(input.Body);
      const etag = `"${createHash('md5').update(body).digest('hex')}"`;
      objects.set(input.Key!, { body, etag });
      return { ETag: etag };
    });
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
      const current = objects.get(input.Key);
      if (!current) throw failure('NoSuchKey', 404, 'The specified key does not exist.');
      // The part of the SDK's streaming body the lease reads.
      const body = current.body;
      return { ETag: current.etag, Body: { transformToString: async () => body } as never };
    });
    s3.on(DeleteObjectCommand).callsFake((input: { Key: string }) => {
      objects.delete(input.Key);
      return {};
    });
  };
  reset();
  return { s3, objects, puts, reset };
}
