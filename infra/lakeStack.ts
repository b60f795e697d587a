import { Stack, type StackProps } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { entities } from '../functions/model/index.ts';
import { lakeKeys } from '../functions/model/lakeKeys.ts';
import { martTables } from '../functions/model/marts.ts';
import { rawTables } from '../functions/model/rawTables.ts';
import { analystQueries } from '../functions/model/analystQueries.ts';
import { AthenaWorkGroup } from './athenaWorkGroup.ts';
import { LakeTable, RawTable } from './lakeTable.ts';
import { NamedQueries } from './namedQueries.ts';
import { defaultBucketProps } from './secureDefaults.ts';

export interface PulseLakeStackProps extends StackProps {
  /** The config's `athena` key: the workgroup and Glue database the pipeline uses; default 'pulse' for both. */
  athena?: { workgroup?: string; database?: string };
  /** Athena cancels a query scanning more than this; default 10 GiB. */
  bytesScannedCutoffPerQuery?: number;
  /** Query results expire after this many days; default 30. */
  resultsExpireAfterDays?: number;
}

/**
 * The lake: a KMS key, the lake and access-log buckets, a Glue table per curated entity (its
 * columns from the zod schemas the code validates with) and per mart (functions/model/marts.ts),
 * and the Athena workgroup with its results bucket and the analysts' named queries. The Athena
 * pieces live here, not in a stack of their own, because the results bucket logs into this
 * stack's log bucket (whose policy would then reference the other stack, a cycle). Compute and
 * the schedule build on this stack.
 */
export class PulseLakeStack extends Stack {
  readonly lake: s3.Bucket;
  readonly key: kms.Key;
  readonly accessLogs: s3.Bucket;
  readonly athena: AthenaWorkGroup;
  readonly databaseName: string;
  constructor(scope: Construct, id: string, props: PulseLakeStackProps = {}) {
    super(scope, id, props);
    // Access logs are delivered through a bucket policy, not ACLs (ACLs stay disabled).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const key = (this.key = new kms.Key(this, 'LakeKey', {
      enableKeyRotation: true,
      description: 'Pulse lake encryption',
    }));
    const logs = (this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...defaultBucketProps(key),
      encryption: s3.BucketEncryption.S3_MANAGED,
      encryptionKey: undefined,
      bucketKeyEnabled: false,
    }));
    this.lake = new s3.Bucket(this, 'Lake', defaultBucketProps(key, logs, 'lake/'));

    const databaseName = (this.databaseName = props.athena?.database ?? 'pulse');
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: this.account,
      databaseInput: { name: databaseName, description: 'Pulse curated tables and marts' },
    });
    const at = (prefix: string) => `s3://${this.lake.bucketName}/${prefix}`;
    const tables = [
      ...entities.map(
        (entity) =>
          new LakeTable(this, `Table${entity.name}`, {
            database,
            databaseName,
            name: entity.name,
            description: entity.description,
            location: at(lakeKeys.manifests(lakeKeys.curated(entity.name))),
            columns: entity.columns,
            partitioned: Boolean(entity.monthOf),
          }),
      ),
      ...martTables.map(
        (mart) =>
          new LakeTable(this, `Mart${mart.name}`, {
            database,
            databaseName,
            name: mart.name,
            description: mart.description,
            location: at(lakeKeys.manifests(mart.prefix)),
            columns: mart.columns,
            partitioned: mart.partitioned,
          }),
      ),
    ];
    // What curate reads in Athena: each entity's landed parts, as cells and as records.
    for (const entity of entities) {
      for (const definition of rawTables(entity)) {
        new RawTable(this, `Raw${entity.name}${definition.form}`, { database, databaseName, definition, lake: at('') });
      }
    }

    this.athena = new AthenaWorkGroup(this, 'Athena', {
      workGroupName: props.athena?.workgroup ?? 'pulse',
      key,
      accessLogs: logs,
      bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
      resultsExpireAfterDays: props.resultsExpireAfterDays,
    });
    new NamedQueries(this, 'AnalystQueries', {
      queries: analystQueries,
      databaseName,
      workGroup: this.athena.workGroup,
      dependsOn: [database, ...tables],
    });
  }
}
