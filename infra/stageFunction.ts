import path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { lakeKeys, scratchTablePrefix } from '../functions/model/lakeKeys.ts';
import type { StageDefinition } from '../functions/stages/list.ts';
import { acknowledgeFindings, arnOf, grantFamilies } from './acknowledge.ts';
import {
  bundleAssets,
  bundleBanner,
  bundleExternals,
  bundleMinify,
  bundleTarget,
  handlerEntry,
  projectRoot as root,
} from './lambdaBundle.ts';

/**
 * A stage's Lambda props as a pure function (the secure defaults, apart from the code that
 * builds resources): Node.js 24 on arm64, active tracing, sized by the stage list, its own role
 * and log group, bundled with the options of infra/lambdaBundle.ts, which the bundle test and
 * the bench build with.
 */
export function stageFunctionProps(
  stage: StageDefinition,
  parts: { role: iam.IRole; logGroup: logs.ILogGroup; environment: Record<string, string> },
): nodejs.NodejsFunctionProps {
  return pulseFunctionProps({
    ...parts,
    handler: stage.name,
    memorySize: stage.memoryMb,
    timeout: Duration.seconds(stage.timeoutSeconds),
  });
}

/** Any Pulse Lambda's props (a stage's, the monthly starter's): `handler` names its file in functions/handlers/. */
export function pulseFunctionProps(parts: {
  handler: string;
  role: iam.IRole;
  logGroup: logs.ILogGroup;
  environment: Record<string, string>;
  memorySize: number;
  timeout: Duration;
}): nodejs.NodejsFunctionProps {
  const assets = bundleAssets(parts.handler);
  return {
    role: parts.role,
    entry: handlerEntry(parts.handler),
    handler: 'handler',
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: parts.memorySize,
    timeout: parts.timeout,
    environment: parts.environment,
    logGroup: parts.logGroup,
    tracing: lambda.Tracing.ACTIVE,
    projectRoot: root,
    depsLockFilePath: path.join(root, 'package-lock.json'),
    bundling: {
      format: nodejs.OutputFormat.ESM,
      target: bundleTarget,
      ...bundleMinify,
      sourceMap: true,
      externalModules: bundleExternals,
      banner: bundleBanner,
      ...(assets.length > 0
        ? {
            // resvg is WebAssembly: its module and the font it draws text in are copied beside
            // the bundle, where charts.ts looks first. Nothing is downloaded: synth runs offline.
            commandHooks: {
              beforeBundling: () => [],
              beforeInstall: () => [],
              afterBundling: (_input: string, output: string) =>
                assets.map(
                  (asset) => `cp ${JSON.stringify(asset.from)} ${JSON.stringify(path.join(output, asset.to))}`,
                ),
            },
          }
        : {}),
    },
  };
}

/** Where a stage function queries, when it does: the workgroup, its results bucket, the Glue database. */
export interface StageQueryAccess {
  workGroupName: string;
  results: s3.IBucket;
  databaseName: string;
}

export interface StageFunctionProps {
  stage: StageDefinition;
  lake: s3.IBucket;
  key: kms.IKey;
  environment: Record<string, string>;
  /** The config's sender: the one address the stage may send mail from. */
  mailFrom: string;
  /** Athena and Glue, granted only to a stage whose list entry says it queries. */
  athena: StageQueryAccess;
}

/**
 * One stage of the list as a Lambda with least privilege, from the list's facts: the lake
 * prefixes it touches, Athena and Glue only if it queries, SES only from the config's sender.
 * Every stage reads the config, and may alert the owners.
 */
export class StageFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  constructor(scope: Construct, id: string, props: StageFunctionProps) {
    super(scope, id);
    const { stage, lake } = props;
    const stack = Stack.of(this);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.key,
    });
    // A role of its own, writing to its own log group only (no AWSLambdaBasicExecutionRole, which
    // may write to every log group of the account).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Pulse ${stage.name} stage`,
    });
    logGroup.grantWrite(this.role);
    this.function = new nodejs.NodejsFunction(
      this,
      'Function',
      stageFunctionProps(stage, { role: this.role, logGroup, environment: props.environment }),
    );
    const fn = this.function;

    const prefixes = [...new Set([...stage.reads, ...stage.writes])];
    lake.grantRead(fn, lakeKeys.config);
    for (const prefix of stage.reads) lake.grantRead(fn, `${prefix}*`);
    for (const prefix of stage.writes) lake.grantReadWrite(fn, `${prefix}*`);
    // A month rebuilt, a unit read again: its old objects are deleted, after a listing.
    for (const prefix of stage.writes) lake.grantDelete(fn, `${prefix}*`);
    // The lake's lease, held while the stage runs (docs/design.md, "One run per lake"): read, put
    // (conditionally: If-None-Match, If-Match need no other action) and deleted, that one object only.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [lake.arnForObjects(lakeKeys.lock)],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [lake.bucketArn],
        conditions: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) } },
      }),
    );
    const arn = (service: string, resource: string) =>
      `arn:${stack.partition}:${service}:${stack.region}:${stack.account}:${resource}`;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendRawEmail'],
        resources: [arn('ses', 'identity/*')],
        conditions: { StringEquals: { 'ses:FromAddress': props.mailFrom } },
      }),
    );
    if (stage.queries) this.grantQueries(stage, props.athena);
    this.acknowledge(props, prefixes);
  }

  private grantQueries(stage: StageDefinition, athena: StageQueryAccess): void {
    const stack = Stack.of(this);
    const arn = (service: string, resource: string) =>
      `arn:${stack.partition}:${service}:${stack.region}:${stack.account}:${resource}`;
    const fn = this.function;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:StopQueryExecution',
        ],
        resources: [arn('athena', `workgroup/${athena.workGroupName}`)],
      }),
    );
    const catalog = arn('glue', 'catalog');
    const database = arn('glue', `database/${athena.databaseName}`);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
        resources: [catalog, database, arn('glue', `table/${athena.databaseName}/*`)],
      }),
    );
    if (stage.scratchTables) {
      // Its work tables only (AthenaEngine.createTable names them pulse_scratch_<engine>_…);
      // the stack's own tables cannot be changed or dropped.
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['glue:CreateTable', 'glue:DeleteTable'],
          resources: [catalog, database, arn('glue', `table/${athena.databaseName}/${scratchTablePrefix}*`)],
        }),
      );
    }
    athena.results.grantReadWrite(fn);
  }

  /**
   * The cdk-nag findings the design accepts on this role, each named exactly and given its
   * reason (test/infra/cdk-nag.test.ts). The wildcards left are prefix-scoped or condition-bound.
   */
  private acknowledge(props: StageFunctionProps, prefixes: string[]): void {
    const { stage, athena } = props;
    const role = this.role;
    const partition = '<AWS::Partition>';
    acknowledgeFindings(
      role,
      'AwsSolutions-IAM5',
      grantFamilies,
      `the CDK grant methods' action families (s3:GetObject*, s3:List*, kms:GenerateDataKey*, …), on the lake objects the ${stage.name} stage touches and the lake key only`,
    );
    acknowledgeFindings(
      role,
      'AwsSolutions-IAM5',
      prefixes.map((p) => `Resource::${arnOf(props.lake)}/${p}*`),
      `the ${stage.name} stage reads or writes every object under ${prefixes.join(', ')}: a prefix is how the lake is laid out (docs/design.md, storage layout)`,
    );
    acknowledgeFindings(
      role,
      'AwsSolutions-IAM5',
      ['Resource::*'],
      "X-Ray's PutTraceSegments and PutTelemetryRecords take no resource: active tracing needs them on *",
    );
    acknowledgeFindings(
      role,
      'AwsSolutions-IAM5',
      [`Resource::arn:${partition}:ses:<AWS::Region>:<AWS::AccountId>:identity/*`],
      "SES checks both the sender's and each recipient's identity in a sandbox; the grant is bound by an ses:FromAddress condition to the config's sender",
    );
    if (!stage.queries) return;
    acknowledgeFindings(
      role,
      'AwsSolutions-IAM5',
      [`Resource::arn:${partition}:glue:<AWS::Region>:<AWS::AccountId>:table/${athena.databaseName}/*`],
      `Athena reads the Glue tables of the ${athena.databaseName} database the stage queries; no other database`,
    );
    acknowledgeFindings(
      role,
      'AwsSolutions-IAM5',
      [`Resource::${arnOf(athena.results)}/*`],
      "Athena writes each query's results under a key it names itself, in the workgroup's own results bucket",
    );
    if (stage.scratchTables) {
      acknowledgeFindings(
        role,
        'AwsSolutions-IAM5',
        [
          `Resource::arn:${partition}:glue:<AWS::Region>:<AWS::AccountId>:table/${athena.databaseName}/${scratchTablePrefix}*`,
        ],
        `the Athena engine creates and drops the ${stage.name} stage's work tables under names it draws per run (${scratchTablePrefix}<engine>_<table>); the stack's own tables are outside the pattern`,
      );
    }
  }
}
