import path from 'node:path';
import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct, type IConstruct } from 'constructs';
import type { PulseConfig } from '../functions/config/schema.ts';
import { retryableErrorName } from '../functions/errors.ts';
import { bundleAssets, bundleBanner, bundleExternals, bundleTarget, handlerEntry, projectRoot as root } from './lambdaBundle.ts';
import { lakeKeys, scratchTablePrefix } from '../functions/model/lakeKeys.ts';
import { stageList, type StageDefinition, type StageName } from '../functions/stages/list.ts';

/** Where the stack puts the config in the lake; the Lambdas read it from there (PULSE_CONFIG_KEY). */
export const configKey = lakeKeys.config;
/** 06:00 on the 1st of every month in the business zone: the month just ended is reported. */
export const defaultSchedule = 'cron(0 6 1 * ? *)';
/** What the schedule starts a run with: no period, the time it fired (the period is the month before it). */
export const scheduleInput = { period: null, scheduledTime: '<aws.scheduler.scheduled-time>' };


/**
 * Acknowledges cdk-nag findings on a construct (and so on every resource below it): the rule
 * with each thing it is about (`AwsSolutions-IAM5[Resource::*]`), or the rule alone.
 */
function acknowledgeFindings(scope: IConstruct, rule: string, about: string[], reason: string): void {
  for (const id of about.length > 0 ? about.map((a) => `${rule}[${a}]`) : [rule]) Validations.of(scope).acknowledge({ id, reason });
}

/**
 * The lake key prefixes each stage reads and writes (DESIGN.md, "Storage layout"): its role is
 * granted those and no other. Every stage reads the config; every stage may alert the owners,
 * so every stage may send mail.
 */
export const stageAccess: Record<StageName, { reads: string[]; writes: string[]; athena: boolean }> = {
  extract: { reads: ['state/'], writes: ['raw/', 'state/'], athena: false },
  // curated/ holds curated/_staging/ too: a fold's rows, staged before they replace months of curated/.
  curate: { reads: ['raw/', 'state/', 'curated/'], writes: ['state/', 'rejects/', 'curated/'], athena: true },
  // state/_marts/: what the marts were built from, what curate changed since, and a build's progress.
  marts: { reads: ['curated/', 'marts/', 'state/'], writes: ['marts/', 'state/_marts/'], athena: true },
  evaluate: { reads: ['curated/', 'marts/', 'state/', 'reports/'], writes: ['reports/'], athena: true },
  // Render reads the inputs evaluate wrote under reports/ (functions/stages/publish.ts): no lake, no Athena.
  render: { reads: ['reports/'], writes: ['reports/'], athena: false },
  deliver: { reads: ['reports/', 'ledger/'], writes: ['ledger/', 'reports/'], athena: false },
};

/**
 * The stages whose Athena engine materialises work tables by CTAS (curate's validated rows, a
 * sliced audience's kpi_monthly months in evaluate): they
 * may create and drop Glue tables named pulse_scratch_*. The tables' files go under the
 * workgroup's results location, not the lake (AthenaEngine.createTable), so no lake prefix is granted for them.
 */
export const scratchTableStages: readonly StageName[] = ['curate', 'evaluate'];

export interface PulsePipelineProps {
  config: PulseConfig;
  lake: s3.IBucket;
  key: kms.IKey;
  workGroupName: string;
  /** The workgroup's results bucket: Athena writes query results there for the pipeline's roles. */
  results: s3.IBucket;
  databaseName: string;
  /** EventBridge Scheduler expression; default: 06:00 on the 1st of every month. */
  schedule?: string;
  /** The stages, in order; default: functions/stages/list.ts (a test passes another to see the machine follow). */
  stages?: readonly StageDefinition[];
}

/**
 * The pipeline in AWS: one Lambda per stage of functions/stages/list.ts (Node.js 24, arm64,
 * bundled by esbuild), a state machine that runs them in the list's order with retries where a
 * retry can help, a monthly EventBridge Scheduler schedule in the business time zone with a dead-
 * letter queue, and alarms that tell the operator of every failed, timed-out or undelivered run.
 */
export class PulsePipeline extends Construct {
  readonly functions: Record<StageName, nodejs.NodejsFunction>;
  readonly stateMachine: sfn.StateMachine;
  readonly alarms: sns.Topic;
  readonly schedule: scheduler.CfnSchedule;
  constructor(scope: Construct, id: string, props: PulsePipelineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { config, lake, key } = props;

    new s3deploy.BucketDeployment(this, 'Config', {
      destinationBucket: lake,
      destinationKeyPrefix: path.posix.dirname(configKey),
      sources: [s3deploy.Source.jsonData(path.posix.basename(configKey), config)],
      prune: false,
      retainOnDelete: true,
      memoryLimit: 256,
    });

    const environment = {
      PULSE_LAKE: `s3://${lake.bucketName}/`,
      PULSE_CONFIG_KEY: configKey,
      PULSE_WORKGROUP: props.workGroupName,
      PULSE_DATABASE: props.databaseName,
      NODE_OPTIONS: '--enable-source-maps',
    };
    const stages = props.stages ?? stageList;
    const functions = {} as Record<StageName, nodejs.NodejsFunction>;
    for (const stage of stages) functions[stage.name] = this.stageFunction(stage, environment, props);
    this.functions = functions;

    // Least privilege: each role gets the lake prefixes its stage touches, Athena only where the
    // stage queries, SES only from the config's sender, secrets only where a source names them.
    const account = stack.account;
    const region = stack.region;
    for (const stage of stages) {
      const fn = functions[stage.name];
      const access = stageAccess[stage.name];
      lake.grantRead(fn, configKey);
      for (const prefix of access.reads) lake.grantRead(fn, `${prefix}*`);
      for (const prefix of access.writes) lake.grantReadWrite(fn, `${prefix}*`);
      // A month rebuilt, a unit read again: its old objects are deleted, after a listing.
      for (const prefix of access.writes) lake.grantDelete(fn, `${prefix}*`);
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [lake.bucketArn], conditions: { StringLike: { 's3:prefix': [...new Set([...access.reads, ...access.writes])].map((p) => `${p}*`) } } }));
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['ses:SendRawEmail'],
          resources: [`arn:${stack.partition}:ses:${region}:${account}:identity/*`],
          conditions: { StringEquals: { 'ses:FromAddress': config.mail.from } },
        }),
      );
      if (access.athena) {
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'],
            resources: [`arn:${stack.partition}:athena:${region}:${account}:workgroup/${props.workGroupName}`],
          }),
        );
        const catalog = `arn:${stack.partition}:glue:${region}:${account}:catalog`;
        const database = `arn:${stack.partition}:glue:${region}:${account}:database/${props.databaseName}`;
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
            resources: [catalog, database, `arn:${stack.partition}:glue:${region}:${account}:table/${props.databaseName}/*`],
          }),
        );
        if (scratchTableStages.includes(stage.name)) {
          // Its work tables only (AthenaEngine.createTable names them pulse_scratch_<engine>_…);
          // the stack's own tables cannot be changed or dropped.
          fn.addToRolePolicy(
            new iam.PolicyStatement({
              actions: ['glue:CreateTable', 'glue:DeleteTable'],
              resources: [catalog, database, `arn:${stack.partition}:glue:${region}:${account}:table/${props.databaseName}/${scratchTablePrefix}*`],
            }),
          );
        }
        props.results.grantReadWrite(fn);
      }
    }
    const secrets = [...new Set(config.sources.flatMap((s) => (s.type === 'csv' ? [] : Object.values(s.credentials))).filter((ref) => ref.startsWith('arn:')).map((ref) => ref.split('#')[0]!))];
    if (secrets.length > 0) functions.extract.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: secrets }));

    this.alarms = new sns.Topic(this, 'Alarms', { masterKey: key, enforceSSL: true, displayName: 'Pulse pipeline alarms' });
    for (const owner of config.owners) this.alarms.addSubscription(new subscriptions.EmailSubscription(owner));
    // CloudWatch publishes alarms to the encrypted topic with the lake key.
    key.grantEncryptDecrypt(new iam.ServicePrincipal('cloudwatch.amazonaws.com'));

    // The state machine: the stages in the list's order, each handed the previous one's output
    // (the event: period and run id, passed through) and retried when the failure says a retry can help.
    const start = new sfn.Pass(this, 'Start', { parameters: { 'period.$': '$.period', 'scheduledTime.$': '$.scheduledTime', 'runId.$': '$$.Execution.Name' } });
    const failed = new sfn.Fail(this, 'Failed', { cause: 'a stage failed: see the alert sent to the owners', error: 'PulseRunFailed' });
    const runs = stages.map((stage) => {
      const task = new tasks.LambdaInvoke(this, `Run ${stage.name}`, {
        lambdaFunction: functions[stage.name],
        payloadResponseOnly: true,
        retryOnServiceExceptions: true,
        taskTimeout: sfn.Timeout.duration(Duration.seconds(stage.timeoutSeconds + 60)),
      });
      task.addRetry({ errors: [retryableErrorName], interval: Duration.seconds(30), backoffRate: 2, maxAttempts: 3, jitterStrategy: sfn.JitterType.FULL });
      // Whatever stops a stage tells the operator which stage, and why, then fails the run.
      const alert = new tasks.SnsPublish(this, `Alert ${stage.name}`, {
        topic: this.alarms,
        subject: `Pulse: the ${stage.name} stage failed`,
        message: sfn.TaskInput.fromJsonPathAt(sfn.JsonPath.format(`Pulse run {} failed in the ${stage.name} stage: {}`, sfn.JsonPath.stringAt('$$.Execution.Name'), sfn.JsonPath.stringAt('$.error.Cause'))),
        resultPath: sfn.JsonPath.DISCARD,
      });
      alert.next(failed);
      task.addCatch(alert, { resultPath: '$.error' });
      return task;
    });
    start.next(runs[0]!);
    for (const [i, stage] of stages.entries()) {
      const next: sfn.IChainable = runs[i + 1] ?? new sfn.Succeed(this, 'Done');
      if (stage.name === 'extract') {
        // An extract out of time saved its watermark and says it is not drained: run it again.
        const drained = new sfn.Choice(this, 'Extract drained?')
          .when(sfn.Condition.and(sfn.Condition.isPresent('$.drained'), sfn.Condition.booleanEquals('$.drained', false)), runs[i]!)
          .otherwise(next);
        runs[i]!.next(drained);
      } else runs[i]!.next(next);
    }
    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: key });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(start),
      // A backfill may take extract many invocations; a month's run never takes a day.
      timeout: Duration.hours(24),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    // The alert is published to the encrypted topic: the two key actions that takes, no others.
    key.grant(this.stateMachine.role, 'kms:GenerateDataKey', 'kms:Decrypt');
    // The schedule starts a run with no period and the time it fired: each Lambda reports the
    // month before that time in the business zone. A run started by hand names its period:
    // {"period": "2026-10", "scheduledTime": null}.

    const deadLetters = new sqs.Queue(this, 'ScheduleDeadLetters', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key, enforceSSL: true, retentionPeriod: Duration.days(14) });
    const invoke = new iam.Role(this, 'ScheduleRole', { assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': account } } }) });
    this.stateMachine.grantStartExecution(invoke);
    deadLetters.grantSendMessages(invoke);
    key.grantEncryptDecrypt(invoke);
    this.schedule = new scheduler.CfnSchedule(this, 'Monthly', {
      description: 'Pulse: the monthly reports',
      scheduleExpression: props.schedule ?? defaultSchedule,
      scheduleExpressionTimezone: config.timezone,
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: this.stateMachine.stateMachineArn,
        roleArn: invoke.roleArn,
        input: JSON.stringify(scheduleInput),
        retryPolicy: { maximumEventAgeInSeconds: 6 * 3600, maximumRetryAttempts: 10 },
        deadLetterConfig: { arn: deadLetters.queueArn },
      },
    });

    // The operator hears of every run that did not finish: failed, timed out, aborted, or never
    // started (the schedule's dead letters). The owners' addresses are subscribed.
    const alarm = (name: string, metric: cloudwatch.IMetric, description: string, threshold = 1) => {
      const a = new cloudwatch.Alarm(this, name, { metric, threshold, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, alarmDescription: description });
      a.addAlarmAction(new actions.SnsAction(this.alarms));
      return a;
    };
    const period = Duration.minutes(5);
    alarm('RunFailed', this.stateMachine.metricFailed({ period, statistic: 'Sum' }), 'A Pulse run failed: the state machine execution names the stage and the cause.');
    alarm('RunTimedOut', this.stateMachine.metricTimedOut({ period, statistic: 'Sum' }), 'A Pulse run timed out.');
    alarm('RunAborted', this.stateMachine.metricAborted({ period, statistic: 'Sum' }), 'A Pulse run was aborted.');
    alarm('ScheduleUndelivered', deadLetters.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }), 'The monthly schedule could not start a run: see its dead-letter queue.');
    for (const stage of stages) alarm(`${stage.name}Errors`, functions[stage.name].metricErrors({ period, statistic: 'Sum' }), `The ${stage.name} Lambda failed (a retry may have recovered it; the run's own alarm says if not).`);
    // SES pauses an account whose bounce rate passes 10% or complaint rate 0.5%: warn at half.
    alarm('MailBounces', new cloudwatch.Metric({ namespace: 'AWS/SES', metricName: 'Reputation.BounceRate', statistic: 'Maximum', period: Duration.hours(1) }), "SES's bounce rate passed 5%: check the recipients in the config.", 0.05);
    alarm('MailComplaints', new cloudwatch.Metric({ namespace: 'AWS/SES', metricName: 'Reputation.ComplaintRate', statistic: 'Maximum', period: Duration.hours(1) }), "SES's complaint rate passed 0.25%: recipients mark the reports as spam.", 0.0025);

    this.acknowledge(props, stages, deadLetters);
  }

  /**
   * The cdk-nag findings the design accepts, each named exactly (a finding's id with what it is
   * about) and given its reason; test/infra/cdk-nag.test.ts checks every reason is specific and
   * that nothing else is found. The wildcards left are prefix-scoped or condition-bound.
   */
  private acknowledge(props: PulsePipelineProps, stages: readonly StageDefinition[], deadLetters: sqs.Queue): void {
    const stack = Stack.of(this);
    const arnOf = (resource: IConstruct) => `<${stack.getLogicalId(resource.node.defaultChild as CfnElement)}.Arn>`;
    const grantFamilies = ['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Action::s3:DeleteObject*', 'Action::s3:Abort*', 'Action::kms:ReEncrypt*', 'Action::kms:GenerateDataKey*'];
    const partition = '<AWS::Partition>';
    for (const stage of stages) {
      const access = stageAccess[stage.name];
      const prefixes = [...new Set([...access.reads, ...access.writes])];
      const role = this.functions[stage.name].role!;
      acknowledgeFindings(role, 'AwsSolutions-IAM5', grantFamilies, `the CDK grant methods' action families (s3:GetObject*, s3:List*, kms:GenerateDataKey*, …), on the lake objects the ${stage.name} stage touches and the lake key only`);
      acknowledgeFindings(role, 'AwsSolutions-IAM5', prefixes.map((p) => `Resource::${arnOf(props.lake)}/${p}*`), `the ${stage.name} stage reads or writes every object under ${prefixes.join(', ')}: a prefix is how the lake is laid out (DESIGN.md, storage layout)`);
      acknowledgeFindings(role, 'AwsSolutions-IAM5', ['Resource::*'], "X-Ray's PutTraceSegments and PutTelemetryRecords take no resource: active tracing needs them on *");
      acknowledgeFindings(role, 'AwsSolutions-IAM5', [`Resource::arn:${partition}:ses:<AWS::Region>:<AWS::AccountId>:identity/*`], "SES checks both the sender's and each recipient's identity in a sandbox; the grant is bound by an ses:FromAddress condition to the config's sender");
      if (access.athena) {
        acknowledgeFindings(role, 'AwsSolutions-IAM5', [`Resource::arn:${partition}:glue:<AWS::Region>:<AWS::AccountId>:table/${props.databaseName}/*`], `Athena reads the Glue tables of the ${props.databaseName} database the stage queries; no other database`);
        acknowledgeFindings(role, 'AwsSolutions-IAM5', [`Resource::${arnOf(props.results)}/*`], "Athena writes each query's results under a key it names itself, in the workgroup's own results bucket");
        if (scratchTableStages.includes(stage.name)) {
          acknowledgeFindings(role, 'AwsSolutions-IAM5', [`Resource::arn:${partition}:glue:<AWS::Region>:<AWS::AccountId>:table/${props.databaseName}/${scratchTablePrefix}*`], `the Athena engine creates and drops the ${stage.name} stage's work tables under names it draws per run (${scratchTablePrefix}<engine>_<table>); the stack's own tables are outside the pattern`);
        }
      }
    }
    acknowledgeFindings(this.stateMachine.role, 'AwsSolutions-IAM5', stages.map((stage) => `Resource::${arnOf(this.functions[stage.name])}:*`), "Step Functions' LambdaInvoke may invoke each stage function's versions and aliases (<arn>:*), and those functions only");
    acknowledgeFindings(this.stateMachine.role, 'AwsSolutions-IAM5', ['Resource::*'], "X-Ray's trace actions take no resource: the state machine's active tracing needs them on *");
    acknowledgeFindings(this.node.findChild('ScheduleRole'), 'AwsSolutions-IAM5', ['Action::kms:ReEncrypt*', 'Action::kms:GenerateDataKey*'], 'the schedule role encrypts a message for its dead-letter queue with the lake key, that one key only');
    acknowledgeFindings(deadLetters, 'AwsSolutions-SQS3', [], 'this queue is itself the dead-letter queue of the monthly schedule; a dead-letter queue of its own would only move the messages one queue further');
    // The config upload is the CDK's BucketDeployment provider (a singleton of the stack).
    const deployment = stack.node.findAll().find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (deployment) {
      acknowledgeFindings(deployment, 'AwsSolutions-IAM4', [`Policy::arn:${partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`], 'the CDK BucketDeployment provider that uploads the config runs with AWSLambdaBasicExecutionRole, as aws-cdk-lib builds it, and only at deploy time');
      acknowledgeFindings(deployment, 'AwsSolutions-IAM5', [...grantFamilies, `Resource::arn:${partition}:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*`, `Resource::${arnOf(props.lake)}/*`], 'the CDK BucketDeployment provider copies the config from the CDK asset bucket into the lake; its grants are the construct own, used only at deploy time');
      acknowledgeFindings(deployment, 'AwsSolutions-L1', [], 'the CDK BucketDeployment provider runtime is pinned by aws-cdk-lib itself, not by this app, and runs only at deploy time');
    }
  }

  private stageFunction(stage: StageDefinition, environment: Record<string, string>, props: PulsePipelineProps): nodejs.NodejsFunction {
    const logGroup = new logs.LogGroup(this, `${stage.name}Logs`, { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: props.key });
    // A role of its own, writing to its own log group only (no AWSLambdaBasicExecutionRole, which
    // may write to every log group of the account).
    const role = new iam.Role(this, `${stage.name}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `Pulse ${stage.name} stage` });
    logGroup.grantWrite(role);
    return new nodejs.NodejsFunction(this, `${stage.name}Function`, {
      role,
      entry: handlerEntry(stage.name),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: stage.memoryMb,
      timeout: Duration.seconds(stage.timeoutSeconds),
      environment,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      projectRoot: root,
      depsLockFilePath: path.join(root, 'package-lock.json'),
      bundling: {
        // The options of infra/lambdaBundle.ts, which the bundle test and the bench build with.
        format: nodejs.OutputFormat.ESM,
        target: bundleTarget,
        minify: true,
        sourceMap: true,
        externalModules: bundleExternals,
        banner: bundleBanner,
        ...(bundleAssets(stage.name).length > 0
          ? {
              // resvg is WebAssembly: its module and the font it draws text in are copied beside
              // the bundle, where charts.ts looks first. Nothing is downloaded: synth runs offline.
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (_input: string, output: string) => bundleAssets(stage.name).map((asset) => `cp ${JSON.stringify(asset.from)} ${JSON.stringify(path.join(output, asset.to))}`),
              },
            }
          : {}),
      },
    });
  }
}
