import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { entities } from '../../functions/model/index.ts';
import { lakeKeys } from '../../functions/model/lakeKeys.ts';
import { martTables } from '../../functions/model/marts.ts';
import { kpiMonthlyMart, marts } from '../../functions/stages/lake.ts';
import { PulseLakeStack } from '../../infra/lakeStack.ts';

const template = Template.fromStack(new PulseLakeStack(new App(), 'Test'));

type Join = { 'Fn::Join': [string, unknown[]] };
/** The literal tail of an s3://${bucket}/… Fn::Join (the key prefix after the bucket). */
const tail = (value: unknown) => {
  const parts = (value as Join)['Fn::Join'][1];
  return parts[parts.length - 1] as string;
};
const tables = Object.values(template.findResources('AWS::Glue::Table')).map((t) => t.Properties.TableInput);
const tableNamed = (name: string) => tables.find((t) => t.Name === name);

describe('lake stack', () => {
  it('encrypts every bucket, blocks public access and denies plain HTTP', () => {
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toHaveLength(1);
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
    template.allResourcesProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('gives each entity a Glue table whose columns are its zod schema, month-projected', () => {
    const tickets = entities.find((e) => e.name === 'tickets')!;
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'tickets',
        Parameters: Match.objectLike({ 'projection.enabled': 'true', 'projection.month.format': 'yyyy-MM' }),
        StorageDescriptor: Match.objectLike({
          Columns: tickets.columns.map((c) => Match.objectLike({ Name: c.name })),
        }),
      }),
    });
    for (const entity of entities) {
      expect(tableNamed(entity.name), entity.name).toBeDefined();
      expect(tail(tableNamed(entity.name).StorageDescriptor.Location)).toBe(
        `/${lakeKeys.manifests(lakeKeys.curated(entity.name))}`,
      );
    }
  });

  it('reads every curated and mart table through its manifests: symlink input, Parquet SerDe (docs/design.md, "Commits")', () => {
    const lakeTables = [...entities.map((e) => e.name), ...martTables.map((m) => m.name)];
    for (const name of lakeTables) {
      const storage = tableNamed(name).StorageDescriptor;
      expect(storage.InputFormat, name).toBe('org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat');
      expect(storage.OutputFormat, name).toBe('org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat');
      expect(storage.SerdeInfo.SerializationLibrary, name).toBe(
        'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
      );
      // The manifests live apart from the files they name: a month's location holds its manifest alone.
      expect(tail(storage.Location), name).toMatch(/^\/_manifests\/(curated|marts)\/\w+\/$/);
    }
    // The raw tables read the landed NDJSON as it lies: no manifest.
    expect(tableNamed('raw_tickets_cells').StorageDescriptor.InputFormat).toBe(
      'org.apache.hadoop.mapred.TextInputFormat',
    );
  });

  it('gives each declared mart a Glue table over _manifests/marts/<name>/ with its declared columns', () => {
    for (const mart of martTables) {
      const table = tableNamed(mart.name);
      expect(table, mart.name).toBeDefined();
      expect(tail(table.StorageDescriptor.Location)).toBe(`/${lakeKeys.manifests(lakeKeys.mart(mart.name))}`);
      expect(table.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name)).toEqual(
        mart.columns.map((c) => c.name),
      );
      expect(table.PartitionKeys).toEqual([expect.objectContaining({ Name: 'month', Type: 'string' })]);
    }
    expect(tableNamed('trc').StorageDescriptor.Columns).toContainEqual(
      expect.objectContaining({ Name: 'amount', Type: 'double' }),
    );
    expect(tableNamed('kpi_monthly').StorageDescriptor.Columns).toContainEqual(
      expect.objectContaining({ Name: 'kpi', Type: 'string' }),
    );
  });

  it('has a table for every mart the pipeline builds (evaluate reads each in Athena)', () => {
    const built = [kpiMonthlyMart, ...marts.map((m) => m.name)].sort();
    expect(martTables.map((m) => m.name).sort()).toEqual(built);
    for (const name of built) expect(tableNamed(name), name).toBeDefined();
  });

  it('projects the month partitions of every partitioned table onto its own prefix', () => {
    const partitioned = tables.filter((t) => t.PartitionKeys.length > 0 && !t.Name.startsWith('raw_'));
    expect(partitioned.map((t) => t.Name)).toEqual(
      expect.arrayContaining(['tickets', 'kpi_monthly', 'trc', 'volume_daily']),
    );
    for (const table of partitioned) {
      expect(table.PartitionKeys, table.Name).toEqual([expect.objectContaining({ Name: 'month' })]);
      expect(table.Parameters, table.Name).toMatchObject({
        'projection.enabled': 'true',
        'projection.month.type': 'date',
        'projection.month.format': 'yyyy-MM',
        'projection.month.interval': '1',
        'projection.month.interval.unit': 'MONTHS',
        'projection.month.range': '1970-01,NOW+10YEARS',
      });
      expect(tail(table.Parameters['storage.location.template']), table.Name).toBe(
        `${tail(table.StorageDescriptor.Location)}month=\${month}/`,
      );
    }
    for (const table of tables.filter((t) => t.PartitionKeys.length === 0))
      expect(table.Parameters['projection.enabled'], table.Name).toBeUndefined();
  });

  it('sees the months the old range 2015-01,NOW hid: before 2015, and months after the current UTC one', () => {
    // The range as Athena reads a date projection's: a fixed yyyy-MM start, an end relative to NOW.
    const now = new Date();
    const seen = (range: string, month: string) => {
      const [start, end] = range.split(',');
      const ahead = /^NOW(?:\+(\d+)(YEARS|MONTHS))?$/.exec(end!);
      expect(ahead, range).not.toBeNull();
      const months = Number(ahead![1] ?? 0) * (ahead![2] === 'YEARS' ? 12 : 1);
      const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + months, 1)).toISOString().slice(0, 7);
      return month >= start! && month <= last;
    };
    const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString().slice(0, 7);
    const inTwoYears = `${now.getUTCFullYear() + 2}-12`;
    for (const table of tables.filter((t) => t.PartitionKeys.length > 0 && !t.Name.startsWith('raw_'))) {
      const range = table.Parameters['projection.month.range'] as string;
      for (const month of ['1970-01', '1999-06', '2014-12', nextMonth, inTwoYears]) {
        expect(seen(range, month), `${table.Name} ${month}`).toBe(true);
      }
    }
  });

  it("reads each entity's landed parts through a cells and a records table, the source and day projected from the keys", () => {
    for (const entity of entities) {
      for (const form of ['cells', 'records'] as const) {
        const table = tableNamed(`raw_${entity.name}_${form}`);
        expect(table, `${entity.name} ${form}`).toBeDefined();
        expect(tail(table.StorageDescriptor.Location)).toBe(`/raw/${entity.name}/`);
        expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
        expect(table.PartitionKeys.map((k: { Name: string }) => k.Name)).toEqual(['landed_source', 'landed_date']);
        expect(table.Parameters).toMatchObject({
          'projection.enabled': 'true',
          'projection.landed_source.type': 'injected',
          'projection.landed_date.type': 'date',
          'projection.landed_date.format': 'yyyy-MM-dd',
        });
        // The keys extract writes (lakeKeys.rawPart) are where the projection looks.
        const key = lakeKeys.rawPart(entity.name, 'crm', '2026-11-02', 'run', 0);
        const template = tail(table.Parameters['storage.location.template'])
          .replace('${landed_source}', 'crm')
          .replace('${landed_date}', '2026-11-02');
        expect(`/${key}`.startsWith(template), `${template} ${key}`).toBe(true);
      }
      const records = tableNamed(`raw_${entity.name}_records`);
      expect(records.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name)).toEqual([
        '_row',
        ...entity.columns.map((c) => c.name),
      ]);
      expect(tableNamed(`raw_${entity.name}_cells`).StorageDescriptor.Columns).toContainEqual(
        expect.objectContaining({ Name: 'c', Type: 'array<string>' }),
      );
    }
  });

  it('names the Glue database from the config', () => {
    const custom = Template.fromStack(
      new PulseLakeStack(new App(), 'Custom', { athena: { database: 'pulse_prod', workgroup: 'analysts' } }),
    );
    custom.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: Match.objectLike({ Name: 'pulse_prod' }) });
    custom.allResourcesProperties('AWS::Glue::Table', { DatabaseName: 'pulse_prod' });
    custom.allResourcesProperties('AWS::Athena::NamedQuery', { Database: 'pulse_prod' });
  });
});
