import * as glue from 'aws-cdk-lib/aws-glue';
import { Construct } from 'constructs';
import type { RawTable as RawTableDefinition } from '../functions/model/rawTables.ts';
import { rawPartitionKeys } from '../functions/model/rawTables.ts';
import { glueType, monthProjection } from './secureDefaults.ts';

export interface LakeTableProps {
  database: glue.CfnDatabase;
  databaseName: string;
  name: string;
  description: string;
  /**
   * s3://bucket/_manifests/<prefix>/: the table's manifests (one per month, or one), which name its
   * committed Parquet files (docs/design.md, "Commits").
   */
  location: string;
  columns: readonly { name: string; sqlType: string; description: string }[];
  /** Partitioned by month=YYYY-MM, with partition projection. */
  partitioned: boolean;
}

/**
 * A Glue table over Parquet files in the lake, an entity under curated/ or a mart under marts/,
 * read through manifests: Hive's SymlinkTextInputFormat reads, in each partition's location, the
 * `manifest` object listing the s3:// URIs of its files, and reads those with the Parquet SerDe,
 * nothing else. A writer puts new files beside the old ones and switches a month to them by one
 * PutObject of its manifest, so a reader sees the old month or the new one whole (Athena reads
 * such tables with partition projection: S3 User Guide, "Querying Amazon S3 Inventory with Amazon
 * Athena", https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-athena-query.html;
 * Delta Lake's "Presto, Trino, and Athena to Delta Lake integration using manifests",
 * https://docs.delta.io/latest/presto-integration.html).
 */
export class LakeTable extends Construct {
  readonly table: glue.CfnTable;
  constructor(scope: Construct, id: string, props: LakeTableProps) {
    super(scope, id);
    // 'Default': the table keeps the logical id it had as a direct child of the stack.
    this.table = new glue.CfnTable(this, 'Default', {
      catalogId: props.database.catalogId,
      databaseName: props.databaseName,
      tableInput: {
        name: props.name,
        description: props.description,
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: props.partitioned
          ? [{ name: 'month', type: 'string', comment: 'business-time-zone month, YYYY-MM' }]
          : [],
        parameters: { classification: 'parquet', ...(props.partitioned ? monthProjection(props.location) : {}) },
        storageDescriptor: {
          location: props.location,
          columns: props.columns.map((c) => ({ name: c.name, type: glueType(c.sqlType), comment: c.description })),
          inputFormat: 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        },
      },
    });
    this.table.node.addDependency(props.database);
  }
}

export interface RawTableProps {
  database: glue.CfnDatabase;
  databaseName: string;
  definition: RawTableDefinition;
  /** s3://bucket/ of the lake. */
  lake: string;
}

/**
 * A Glue table over one entity's landed NDJSON parts (functions/model/rawTables.ts), what
 * curate validates in Athena: source and ingest day are projected from the keys (the source
 * injected from the query's filter), so nothing is crawled or repaired.
 */
export class RawTable extends Construct {
  readonly table: glue.CfnTable;
  constructor(scope: Construct, id: string, props: RawTableProps) {
    super(scope, id);
    const { definition } = props;
    const [source, day] = rawPartitionKeys;
    const location = `${props.lake}${definition.prefix}`;
    this.table = new glue.CfnTable(this, 'Default', {
      catalogId: props.database.catalogId,
      databaseName: props.databaseName,
      tableInput: {
        name: definition.name,
        description: definition.description,
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: rawPartitionKeys.map((k) => ({ name: k.name, type: 'string', comment: k.description })),
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          [`projection.${source.name}.type`]: 'injected',
          [`projection.${day.name}.type`]: 'date',
          [`projection.${day.name}.format`]: 'yyyy-MM-dd',
          [`projection.${day.name}.range`]: '2020-01-01,NOW',
          [`projection.${day.name}.interval`]: '1',
          [`projection.${day.name}.interval.unit`]: 'DAYS',
          'storage.location.template': `${location}source=\${${source.name}}/ingest_date=\${${day.name}}/`,
        },
        storageDescriptor: {
          location,
          columns: definition.columns.map((c) => ({ name: c.name, type: glueType(c.sqlType), comment: c.description })),
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            parameters: { 'ignore.malformed.json': 'false' },
          },
        },
      },
    });
    this.table.node.addDependency(props.database);
  }
}
