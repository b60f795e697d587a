import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as kms from 'aws-cdk-lib/aws-kms';

/** Secure bucket defaults as a pure function (AWS Solutions Constructs' defaultBucketProps). */
export function defaultBucketProps(key: kms.IKey, logs?: s3.IBucket, logPrefix?: string): s3.BucketProps {
  return {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: key,
    bucketKeyEnabled: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    versioned: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: RemovalPolicy.RETAIN,
    ...(logs ? { serverAccessLogsBucket: logs, serverAccessLogsPrefix: logPrefix } : {}),
    lifecycleRules: [{ id: 'old-versions', noncurrentVersionExpiration: Duration.days(90) }],
  };
}
