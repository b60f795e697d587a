import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { TrinoSQL } from 'dt-sql-parser';
import { describe, expect, it } from 'vitest';
import { kpiIds } from '../../functions/kpis/catalog.ts';
import { analystQueries } from '../../functions/model/analystQueries.ts';
import { PulseLakeStack } from '../../infra/lakeStack.ts';
import { defaultBytesScannedCutoffPerQuery, defaultResultsExpireAfterDays } from '../../infra/secureDefaults.ts';

const stack = new PulseLakeStack(new App(), 'Test');
const template = Template.fromStack(stack);
const resultsId = stack.getLogicalId(stack.athena.results.node.defaultChild as never);
const keyId = stack.getLogicalId(stack.key.node.defaultChild as never);
const logsId = stack.getLogicalId(stack.accessLogs.node.defaultChild as never);
const workGroup = Object.values(template.findResources('AWS::Athena::WorkGroup'))[0]!.Properties;
const config = workGroup.WorkGroupConfiguration;

describe('Athena workgroup', () => {
  it('is named from the config (default pulse) and runs engine version 3', () => {
    expect(workGroup.Name).toBe('pulse');
    expect(config.EngineVersion).toEqual({ SelectedEngineVersion: 'Athena engine version 3' });
    const named = Template.fromStack(new PulseLakeStack(new App(), 'Named', { athena: { workgroup: 'pulse-prod' } }));
    named.hasResourceProperties('AWS::Athena::WorkGroup', { Name: 'pulse-prod' });
  });

  it('enforces its configuration, publishes CloudWatch metrics and cuts off large scans', () => {
    expect(config.EnforceWorkGroupConfiguration).toBe(true);
    expect(config.PublishCloudWatchMetricsEnabled).toBe(true);
    expect(config.BytesScannedCutoffPerQuery).toBe(defaultBytesScannedCutoffPerQuery);
    expect(defaultBytesScannedCutoffPerQuery).toBe(10 * 1024 ** 3);
    const custom = Template.fromStack(
      new PulseLakeStack(new App(), 'Cutoff', { bytesScannedCutoffPerQuery: 1024 ** 3 }),
    );
    custom.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 1024 ** 3 }),
    });
  });

  it('writes results SSE-KMS with the lake key into the results bucket', () => {
    expect(config.ResultConfiguration.EncryptionConfiguration).toEqual({
      EncryptionOption: 'SSE_KMS',
      KmsKey: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    expect(config.ResultConfiguration.OutputLocation).toEqual({
      'Fn::Join': ['', ['s3://', { Ref: resultsId }, '/results/']],
    });
  });

  it('rejects bad props with every problem in one message', () => {
    expect(
      () =>
        new PulseLakeStack(new App(), 'Bad', {
          athena: { workgroup: 'has space' },
          bytesScannedCutoffPerQuery: 1000,
          resultsExpireAfterDays: 0,
        }),
    ).toThrow(
      "AthenaWorkGroup Athena: workGroupName \"has space\" must be 1-128 letters, digits, '.', '_' or '-'; " +
        'bytesScannedCutoffPerQuery 1000 must be a whole number of bytes, at least 10000000 (10 MB); ' +
        'resultsExpireAfterDays 0 must be a whole number of days, at least 1',
    );
  });
});

describe('query-results bucket', () => {
  const bucket = template.findResources('AWS::S3::Bucket')[resultsId]!.Properties;

  it('is encrypted with the lake key, public access blocked, access-logged to the log bucket', () => {
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      {
        BucketKeyEnabled: true,
        ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      },
    ]);
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logsId },
      LogFilePrefix: 'athena-results/',
    });
  });

  it('denies requests without TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: resultsId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('expires results (default 30 days) and aborts incomplete uploads', () => {
    expect(defaultResultsExpireAfterDays).toBe(30);
    expect(bucket.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({
        Status: 'Enabled',
        ExpirationInDays: 30,
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      }),
    );
    const week = Template.fromStack(new PulseLakeStack(new App(), 'Week', { resultsExpireAfterDays: 7 }));
    week.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 7 })]) },
    });
  });
});

describe('named queries for analysts', () => {
  const named = Object.values(template.findResources('AWS::Athena::NamedQuery')).map((r) => r.Properties);
  const tableNames = new Set(
    Object.values(template.findResources('AWS::Glue::Table')).map((t) => t.Properties.TableInput.Name as string),
  );
  const trino = new TrinoSQL();

  /** Tables a query reads: names after from / join that are not its own CTEs. */
  function tablesRead(sql: string): string[] {
    const code = sql.replace(/--.*$/gm, '');
    const ctes = new Set([...code.matchAll(/\b([a-z_][a-z0-9_]*)\s+as\s*\(/gi)].map((m) => m[1]!.toLowerCase()));
    return [...code.matchAll(/\b(?:from|join)\s+([a-z_][a-z0-9_]*)/gi)]
      .map((m) => m[1]!.toLowerCase())
      .filter((t) => !ctes.has(t));
  }

  it('saves each analyst query in the workgroup, against the Glue database', () => {
    expect(named.map((q) => q.Name).sort()).toEqual(analystQueries.map((q) => q.name).sort());
    for (const q of named) {
      expect(q.WorkGroup).toEqual({ Ref: stack.getLogicalId(stack.athena.workGroup) });
      expect(q.Database).toBe('pulse');
    }
  });

  it.each(analystQueries.map((q) => [q.name, q.sql]))('%s is valid Trino', (_name, sql) => {
    expect(trino.validate(sql).map((e) => `${e.startLine}:${e.startColumn} ${e.message}`)).toEqual([]);
  });

  it.each(analystQueries.map((q) => [q.name, q.sql]))('%s reads only tables the catalog defines', (_name, sql) => {
    const read = tablesRead(sql);
    expect(read.length).toBeGreaterThan(0);
    for (const table of read) expect(tableNames, table).toContain(table);
  });

  it('covers the main marts: TRC, the KPI history, churn, retention, speed and orders', () => {
    const read = new Set(analystQueries.flatMap((q) => tablesRead(q.sql)));
    for (const mart of ['trc', 'kpi_monthly', 'customer_month', 'retention_cohort', 'ticket_speed', 'order_month'])
      expect(read, mart).toContain(mart);
  });

  it('asks for KPIs the catalog defines', () => {
    const asked = analystQueries.flatMap((q) => [...q.sql.matchAll(/\bkpi = '([a-z_]+)'/g)].map((m) => m[1]!));
    expect(asked.length).toBeGreaterThan(0);
    for (const kpi of asked) expect(kpiIds as readonly string[], kpi).toContain(kpi);
  });

  it('finds tables behind CTEs (the check is not vacuous)', () => {
    expect(tablesRead('with a as (select * from trc) select * from a join nowhere on true')).toEqual([
      'trc',
      'nowhere',
    ]);
  });
});
