import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { entities } from '../../functions/model/index.ts';
import { lakeKeys } from '../../functions/model/lakeKeys.ts';
import { martTables, martsWithoutTable } from '../../functions/model/marts.ts';
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
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    }
    template.allResourcesProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('gives each entity a Glue table whose columns are its zod schema, month-projected', () => {
    const tickets = entities.find((e) => e.name === 'tickets')!;
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'tickets',
        Parameters: Match.objectLike({ 'projection.enabled': 'true', 'projection.month.format': 'yyyy-MM' }),
        StorageDescriptor: Match.objectLike({ Columns: tickets.columns.map((c) => Match.objectLike({ Name: c.name })) }),
      }),
    });
    for (const entity of entities) {
      expect(tableNamed(entity.name), entity.name).toBeDefined();
      expect(tail(tableNamed(entity.name).StorageDescriptor.Location)).toBe(`/${lakeKeys.curated(entity.name)}`);
    }
  });

  it('gives each declared mart a Glue table under marts/<name>/ with its declared columns', () => {
    for (const mart of martTables) {
      const table = tableNamed(mart.name);
      expect(table, mart.name).toBeDefined();
      expect(tail(table.StorageDescriptor.Location)).toBe(`/${lakeKeys.mart(mart.name)}`);
      expect(table.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name)).toEqual(mart.columns.map((c) => c.name));
      expect(table.PartitionKeys).toEqual([expect.objectContaining({ Name: 'month', Type: 'string' })]);
    }
    expect(tableNamed('trc').StorageDescriptor.Columns).toContainEqual(expect.objectContaining({ Name: 'amount', Type: 'double' }));
    expect(tableNamed('kpi_monthly').StorageDescriptor.Columns).toContainEqual(expect.objectContaining({ Name: 'kpi', Type: 'string' }));
  });

  it('accounts for every mart the pipeline builds: a table, or a stated reason why not', () => {
    const built = [kpiMonthlyMart, ...marts.map((m) => m.name)].sort();
    const accounted = [...martTables.map((m) => m.name), ...Object.keys(martsWithoutTable)].sort();
    expect(accounted).toEqual(built);
    for (const name of Object.keys(martsWithoutTable)) expect(tableNamed(name), name).toBeUndefined();
  });

  it('projects the month partitions of every partitioned table onto its own prefix', () => {
    const partitioned = tables.filter((t) => t.PartitionKeys.length > 0);
    expect(partitioned.map((t) => t.Name)).toEqual(expect.arrayContaining(['tickets', 'kpi_monthly', 'trc', 'volume_daily']));
    for (const table of partitioned) {
      expect(table.PartitionKeys, table.Name).toEqual([expect.objectContaining({ Name: 'month' })]);
      expect(table.Parameters, table.Name).toMatchObject({
        'projection.enabled': 'true',
        'projection.month.type': 'date',
        'projection.month.format': 'yyyy-MM',
        'projection.month.interval.unit': 'MONTHS',
      });
      expect(tail(table.Parameters['storage.location.template']), table.Name).toBe(`${tail(table.StorageDescriptor.Location)}month=\${month}/`);
    }
    for (const table of tables.filter((t) => t.PartitionKeys.length === 0)) expect(table.Parameters['projection.enabled'], table.Name).toBeUndefined();
  });

  it('names the Glue database from the config', () => {
    const custom = Template.fromStack(new PulseLakeStack(new App(), 'Custom', { athena: { database: 'pulse_prod', workgroup: 'analysts' } }));
    custom.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: Match.objectLike({ Name: 'pulse_prod' }) });
    custom.allResourcesProperties('AWS::Glue::Table', { DatabaseName: 'pulse_prod' });
    custom.allResourcesProperties('AWS::Athena::NamedQuery', { Database: 'pulse_prod' });
  });
});
