import { Stack, type StackProps } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { entities } from '../functions/model/index.ts';
import { defaultBucketProps } from './secureDefaults.ts';

/**
 * The lake: a KMS key, the lake and access-log buckets, and a Glue table per curated entity
 * whose columns come from the same zod schemas the code validates with. Compute, Athena and
 * the schedule build on this stack.
 */
export class PulseLakeStack extends Stack {
  readonly lake: s3.Bucket;
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // Access logs are delivered through a bucket policy, not ACLs (ACLs stay disabled).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const key = new kms.Key(this, 'LakeKey', { enableKeyRotation: true, description: 'Pulse lake encryption' });
    const logs = new s3.Bucket(this, 'AccessLogs', { ...defaultBucketProps(key), encryption: s3.BucketEncryption.S3_MANAGED, encryptionKey: undefined, bucketKeyEnabled: false });
    this.lake = new s3.Bucket(this, 'Lake', defaultBucketProps(key, logs, 'lake/'));

    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: this.account,
      databaseInput: { name: 'pulse', description: 'Pulse curated tables and marts' },
    });
    for (const entity of entities) {
      const partitioned = Boolean(entity.monthOf);
      const location = `s3://${this.lake.bucketName}/curated/${entity.name}/`;
      const table = new glue.CfnTable(this, `Table${entity.name}`, {
        catalogId: this.account,
        databaseName: 'pulse',
        tableInput: {
          name: entity.name,
          description: entity.description,
          tableType: 'EXTERNAL_TABLE',
          partitionKeys: partitioned ? [{ name: 'month', type: 'string', comment: 'business-time-zone month, YYYY-MM' }] : [],
          parameters: {
            classification: 'parquet',
            ...(partitioned
              ? {
                  'projection.enabled': 'true',
                  'projection.month.type': 'date',
                  'projection.month.format': 'yyyy-MM',
                  'projection.month.range': '2015-01,NOW',
                  'projection.month.interval': '1',
                  'projection.month.interval.unit': 'MONTHS',
                  'storage.location.template': `${location}month=\${month}/`,
                }
              : {}),
          },
          storageDescriptor: {
            location,
            columns: entity.columns.map((c) => ({ name: c.name, type: c.sqlType === 'varchar' ? 'string' : c.sqlType, comment: c.description })),
            inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
            serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
          },
        },
      });
      table.node.addDependency(database);
    }
  }
}
