import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as athena from 'aws-cdk-lib/aws-athena';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { monthProjection as projection, monthProjectionRange } from '../functions/model/projection.ts';

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

/** How long Athena query results stay in the results bucket by default. */
export const defaultResultsExpireAfterDays = 30;
/** Default per-query scan cutoff: 10 GiB (Athena cancels a query that scans more). */
export const defaultBytesScannedCutoffPerQuery = 10 * 1024 ** 3;
/** Athena's lower bound for BytesScannedCutoffPerQuery: 10 MB. */
export const minBytesScannedCutoffPerQuery = 10_000_000;

/**
 * The query-results bucket: the secure defaults, unversioned (results are reproducible by
 * running the query again, so old versions would only keep data past its expiry), results
 * expiring after `expireAfterDays` and incomplete uploads aborted after a day.
 */
export function queryResultsBucketProps(
  key: kms.IKey,
  logs: s3.IBucket,
  expireAfterDays = defaultResultsExpireAfterDays,
): s3.BucketProps {
  return {
    ...defaultBucketProps(key, logs, 'athena-results/'),
    versioned: false,
    lifecycleRules: [
      {
        id: 'expire-query-results',
        expiration: Duration.days(expireAfterDays),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      },
    ],
  };
}

export interface WorkGroupDefaultsInput {
  name: string;
  description: string;
  /** s3://bucket/prefix/ for query results. */
  outputLocation: string;
  kmsKeyArn: string;
  bytesScannedCutoffPerQuery?: number;
}

/**
 * An Athena workgroup on engine version 3 whose settings clients cannot override: results
 * SSE-KMS in the results bucket, a scan cutoff per query, CloudWatch metrics published.
 */
export function workGroupDefaults(input: WorkGroupDefaultsInput): athena.CfnWorkGroupProps {
  return {
    name: input.name,
    description: input.description,
    state: 'ENABLED',
    workGroupConfiguration: {
      engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
      enforceWorkGroupConfiguration: true,
      publishCloudWatchMetricsEnabled: true,
      requesterPaysEnabled: false,
      bytesScannedCutoffPerQuery: input.bytesScannedCutoffPerQuery ?? defaultBytesScannedCutoffPerQuery,
      resultConfiguration: {
        outputLocation: input.outputLocation,
        encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: input.kmsKeyArn },
      },
    },
  };
}

/**
 * Glue table parameters that project the month=YYYY-MM partitions of a prefix, so no crawler
 * or MSCK REPAIR is needed: Athena computes the partitions from the query's month filter, over
 * the range functions/model/projection.ts holds (a date projection, one month a step: Athena
 * User Guide, "Supported types for partition projection",
 * https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html).
 */
export function monthProjection(location: string): Record<string, string> {
  const { column, format } = projection;
  return {
    'projection.enabled': 'true',
    [`projection.${column}.type`]: 'date',
    [`projection.${column}.format`]: format,
    [`projection.${column}.range`]: monthProjectionRange,
    [`projection.${column}.interval`]: '1',
    [`projection.${column}.interval.unit`]: 'MONTHS',
    'storage.location.template': `${location}${column}=\${${column}}/`,
  };
}

/** Glue's spelling of a SQL column type (varchar is `string` in the Hive DDL Glue keeps). */
export function glueType(sqlType: string): string {
  const array = /^array\((.+)\)$/.exec(sqlType);
  if (array) return `array<${glueType(array[1]!)}>`;
  return sqlType === 'varchar' ? 'string' : sqlType;
}

/**
 * Every problem with the Athena props, in one list (empty: valid). The construct throws once
 * with all of them.
 */
export function athenaPropProblems(props: {
  workGroupName: string;
  bytesScannedCutoffPerQuery?: number;
  resultsExpireAfterDays?: number;
}): string[] {
  const problems: string[] = [];
  if (!/^[a-zA-Z0-9._-]{1,128}$/.test(props.workGroupName))
    problems.push(`workGroupName "${props.workGroupName}" must be 1-128 letters, digits, '.', '_' or '-'`);
  const cutoff = props.bytesScannedCutoffPerQuery;
  if (cutoff !== undefined && (!Number.isInteger(cutoff) || cutoff < minBytesScannedCutoffPerQuery)) {
    problems.push(
      `bytesScannedCutoffPerQuery ${cutoff} must be a whole number of bytes, at least ${minBytesScannedCutoffPerQuery} (10 MB)`,
    );
  }
  const days = props.resultsExpireAfterDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 1))
    problems.push(`resultsExpireAfterDays ${days} must be a whole number of days, at least 1`);
  return problems;
}
