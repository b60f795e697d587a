import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgeFindings, arnOf } from './acknowledge.ts';
import {
  bundleBanner,
  bundleExternals,
  bundleMinify,
  bundleTarget,
  handlerEntry,
  projectRoot as root,
} from './lambdaBundle.ts';

/** 06:00 on the 1st of every month in the business zone: the month just ended is reported. */
export const defaultSchedule = 'cron(0 6 1 * ? *)';
/** What the schedule starts the starter with: the time it fired (the period is the month before it). */
export const scheduleInput = { scheduledTime: '<aws.scheduler.scheduled-time>' };
/** StartExecution's answer when the name was used before (an open run with other input, or a closed one). */
export const executionExists = 'StepFunctions.ExecutionAlreadyExistsException';

export interface MonthlyScheduleProps {
  stateMachine: sfn.StateMachine;
  key: kms.IKey;
  /** The business time zone the expression is read in. */
  timezone: string;
  /** EventBridge Scheduler expression; default: 06:00 on the 1st of every month. */
  expression?: string;
}

/**
 * The EventBridge Scheduler schedule that starts a run each month. It starts a small starter
 * state machine with the time it fired: a Lambda works out the period (the month before that
 * time in the business zone), then the pipeline is started with the period as its execution name
 * (docs/design.md, "One execution per period"). Step Functions refuses a name used in the last 90
 * days, so the schedule, its retries and a run started by hand
 * (`aws stepfunctions start-execution --name 2026-10 --input '{"period": "2026-10"}'`) cannot run
 * one period twice; a name already used ends the starter without a second run. What the schedule
 * cannot deliver goes to an encrypted dead-letter queue, which the alarms watch, as they watch
 * the starter.
 */
export class MonthlySchedule extends Construct {
  readonly schedule: scheduler.CfnSchedule;
  readonly deadLetters: sqs.Queue;
  readonly starter: sfn.StateMachine;
  constructor(scope: Construct, id: string, props: MonthlyScheduleProps) {
    super(scope, id);
    const { key } = props;
    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const account = Stack.of(this).account;
    const invoke = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    });
    this.starter = this.buildStarter(props);
    this.starter.grantStartExecution(invoke);
    this.deadLetters.grantSendMessages(invoke);
    key.grantEncryptDecrypt(invoke);
    this.schedule = new scheduler.CfnSchedule(this, 'Default', {
      description: 'Pulse: the monthly reports',
      scheduleExpression: props.expression ?? defaultSchedule,
      scheduleExpressionTimezone: props.timezone,
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: this.starter.stateMachineArn,
        roleArn: invoke.roleArn,
        input: JSON.stringify(scheduleInput),
        retryPolicy: { maximumEventAgeInSeconds: 6 * 3600, maximumRetryAttempts: 10 },
        deadLetterConfig: { arn: this.deadLetters.queueArn },
      },
    });
    acknowledgeFindings(
      invoke,
      'AwsSolutions-IAM5',
      ['Action::kms:ReEncrypt*', 'Action::kms:GenerateDataKey*'],
      'the schedule role encrypts a message for its dead-letter queue with the lake key, that one key only',
    );
    acknowledgeFindings(
      this.deadLetters,
      'AwsSolutions-SQS3',
      [],
      'this queue is itself the dead-letter queue of the monthly schedule; a dead-letter queue of its own would only move the messages one queue further',
    );
  }

  /** Period, then the pipeline started under that name; a name already used is a run not repeated. */
  private buildStarter(props: MonthlyScheduleProps): sfn.StateMachine {
    const logGroup = new logs.LogGroup(this, 'PeriodLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.key,
    });
    const role = new iam.Role(this, 'PeriodRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Pulse: works out the period a scheduled run reports',
    });
    logGroup.grantWrite(role);
    acknowledgeFindings(
      role,
      'AwsSolutions-IAM5',
      ['Resource::*'],
      "X-Ray's trace actions take no resource: the period Lambda's active tracing needs them on *",
    );
    const period = new nodejs.NodejsFunction(this, 'Period', {
      role,
      entry: handlerEntry('period'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(30),
      environment: { PULSE_TIMEZONE: props.timezone, NODE_OPTIONS: '--enable-source-maps' },
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      projectRoot: root,
      depsLockFilePath: `${root}/package-lock.json`,
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: bundleTarget,
        ...bundleMinify,
        sourceMap: true,
        externalModules: bundleExternals,
        banner: bundleBanner,
      },
    });
    const name = new tasks.LambdaInvoke(this, 'Work out the period', {
      lambdaFunction: period,
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    const start = new tasks.StepFunctionsStartExecution(this, 'Start the run', {
      stateMachine: props.stateMachine,
      name: sfn.JsonPath.stringAt('$.period'),
      input: sfn.TaskInput.fromObject({
        period: sfn.JsonPath.stringAt('$.period'),
        scheduledTime: sfn.JsonPath.stringAt('$.scheduledTime'),
      }),
      associateWithParent: false,
    });
    start.addCatch(new sfn.Succeed(this, 'Period already run'), { errors: [executionExists] });
    const starterLogs = new logs.LogGroup(this, 'StarterLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.key,
    });
    const starter = new sfn.StateMachine(this, 'Starter', {
      definitionBody: sfn.DefinitionBody.fromChainable(name.next(start)),
      timeout: Duration.minutes(5),
      tracingEnabled: true,
      logs: { destination: starterLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    props.key.grant(starter.role, 'kms:GenerateDataKey', 'kms:Decrypt');
    acknowledgeFindings(
      starter.role,
      'AwsSolutions-IAM5',
      [`Resource::${arnOf(period)}:*`, 'Resource::*'],
      "the starter invokes the period Lambda's versions (<arn>:*), that function only; X-Ray's trace actions take no resource",
    );
    return starter;
  }
}
