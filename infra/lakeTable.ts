import * as glue from 'aws-cdk-lib/aws-glue';
import { Construct } from 'constructs';
import { glueType, monthProjection } from './secureDefaults.ts';

export interface LakeTableProps {
  database: glue.CfnDatabase;
  databaseName: string;
  name: string;
  description: string;
  /** s3://bucket/prefix/ of the table's Parquet files. */
  location: string;
  columns: readonly { name: string; sqlType: string; description: string }[];
  /** Partitioned by month=YYYY-MM, with partition projection. */
  partitioned: boolean;
}

/** A Glue table over Parquet files in the lake: an entity under curated/ or a mart under marts/. */
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
        partitionKeys: props.partitioned ? [{ name: 'month', type: 'string', comment: 'business-time-zone month, YYYY-MM' }] : [],
        parameters: { classification: 'parquet', ...(props.partitioned ? monthProjection(props.location) : {}) },
        storageDescriptor: {
          location: props.location,
          columns: props.columns.map((c) => ({ name: c.name, type: glueType(c.sqlType), comment: c.description })),
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        },
      },
    });
    this.table.node.addDependency(props.database);
  }
}
