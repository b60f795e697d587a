import { App, type IResolvable } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import { PulseLakeStack } from '../../../infra/lakeStack.ts';

/**
 * The Glue catalog and the workgroup the stand-in serves, read from the same constructs the CDK
 * app deploys (infra/lakeStack.ts): the stack is built and each Glue table's TableInput resolved
 * as CloudFormation would receive it, its lake bucket token replaced by the bucket given. So a
 * table, a column type or a projection range changed in the stack changes here too.
 */
export interface CatalogColumn {
  name: string;
  /** Glue's (Hive) spelling: string, bigint, array<string>, decimal(38,2), … */
  type: string;
}

export interface CatalogTable {
  name: string;
  /** s3://bucket/prefix/ */
  location: string;
  columns: CatalogColumn[];
  partitionKeys: CatalogColumn[];
  /** Table parameters: classification, projection.*, storage.location.template. */
  parameters: Record<string, string>;
  /** Parquet (curated, marts, CTAS) or gzipped NDJSON (raw). */
  format: 'parquet' | 'json';
  /**
   * Whether the table reads through SymlinkTextInputFormat: each partition's location holds
   * manifests listing the s3:// URIs of its data files, and only those files are read.
   */
  symlink?: boolean;
}

/** The input format of a symlink table (Hive's; Athena reads it, S3 Inventory and Delta Lake write for it). */
export const symlinkInputFormat = 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat';

export interface Workgroup {
  enforced: boolean;
  bytesScannedCutoffPerQuery?: number;
}

type Cfn = string | number | boolean | null | Cfn[] | { [key: string]: Cfn };

/** A resolved CloudFormation value with the lake bucket's Ref replaced by its name. */
function literal(value: Cfn, refs: Record<string, string>): Cfn {
  if (Array.isArray(value)) return value.map((v) => literal(v, refs));
  if (value && typeof value === 'object') {
    const join = value['Fn::Join'] as [string, Cfn[]] | undefined;
    if (join) return join[1].map((part) => String(literal(part, refs))).join(join[0]);
    const ref = value.Ref as string | undefined;
    if (ref !== undefined) {
      if (!(ref in refs)) throw new Error(`the stack's Glue tables name ${ref}, which the stand-in cannot resolve`);
      return refs[ref]!;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, literal(v, refs)]));
  }
  return value;
}

interface TableInput {
  name: string;
  partitionKeys?: { name: string; type: string }[];
  parameters?: Record<string, string>;
  storageDescriptor: {
    location: string;
    columns: { name: string; type: string }[];
    inputFormat?: string;
    serdeInfo?: { serializationLibrary?: string };
  };
}

/** The stack's Glue tables and its workgroup's settings, for a lake in `lakeBucket`. */
export function stackCatalog(lakeBucket: string, database: string): { tables: CatalogTable[]; workgroup: Workgroup } {
  const stack = new PulseLakeStack(new App(), 'Pulse', { athena: { database } });
  const refs = { [stack.resolve(stack.lake.bucketName).Ref as string]: lakeBucket };
  const cfnTables = stack.node.findAll().filter((c): c is glue.CfnTable => c instanceof glue.CfnTable);
  const tables = cfnTables.map((t) => {
    const input = literal(stack.resolve(t.tableInput as IResolvable) as Cfn, refs) as unknown as TableInput;
    const serde = input.storageDescriptor.serdeInfo?.serializationLibrary ?? '';
    return {
      name: input.name.toLowerCase(),
      location: input.storageDescriptor.location,
      columns: input.storageDescriptor.columns.map((c) => ({ name: c.name.toLowerCase(), type: c.type })),
      partitionKeys: (input.partitionKeys ?? []).map((c) => ({ name: c.name.toLowerCase(), type: c.type })),
      parameters: input.parameters ?? {},
      format: /json/i.test(serde) ? ('json' as const) : ('parquet' as const),
      ...(input.storageDescriptor.inputFormat === symlinkInputFormat ? { symlink: true } : {}),
    };
  });
  const config = stack.resolve(stack.athena.workGroup.workGroupConfiguration) as {
    enforceWorkGroupConfiguration?: boolean;
    bytesScannedCutoffPerQuery?: number;
  };
  return {
    tables,
    workgroup: {
      enforced: config.enforceWorkGroupConfiguration === true,
      bytesScannedCutoffPerQuery: config.bytesScannedCutoffPerQuery,
    },
  };
}

/** DuckDB's spelling of a Glue column type. */
export function duckType(glueType: string): string {
  const t = glueType.trim().toLowerCase();
  const array = /^array<(.+)>$/.exec(t);
  if (array) return `${duckType(array[1]!)}[]`;
  if (t === 'string' || t.startsWith('varchar') || t.startsWith('char')) return 'varchar';
  if (t === 'int') return 'integer';
  if (t === 'float') return 'float';
  return t;
}
