import path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { PulseConfig } from '../functions/config/schema.ts';
import { lakeKeys } from '../functions/model/lakeKeys.ts';
import { stageList, type StageDefinition, type StageName } from '../functions/stages/list.ts';
import { acknowledgeFindings, arnOf, grantFamilies } from './acknowledge.ts';
import { MonthlySchedule } from './monthlySchedule.ts';
import { PipelineAlarms } from './pipelineAlarms.ts';
import { PipelineStateMachine } from './pipelineStateMachine.ts';
import { StageFunction } from './stageFunction.ts';

export { defaultSchedule, scheduleInput } from './monthlySchedule.ts';

/** Where the stack puts the config in the lake; the Lambdas read it from there (PULSE_CONFIG_KEY). */
export const configKey = lakeKeys.config;

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
 * The pipeline in AWS, put together from its parts: the config uploaded to the lake, one
 * StageFunction per stage of functions/stages/list.ts (its grants from the list's facts), the
 * PipelineStateMachine that runs them in the list's order, the MonthlySchedule that starts it in
 * the business time zone, and the PipelineAlarms that tell the operator of every failed,
 * timed-out or undelivered run.
 */
export class PulsePipeline extends Construct {
  readonly functions: Record<StageName, nodejs.NodejsFunction>;
  readonly stateMachine: sfn.StateMachine;
  /** What the schedule starts: it names the pipeline's execution by its period. */
  readonly starter: sfn.StateMachine;
  readonly alarms: sns.Topic;
  readonly schedule: scheduler.CfnSchedule;
  constructor(scope: Construct, id: string, props: PulsePipelineProps) {
    super(scope, id);
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
    const stages: readonly StageDefinition[] = props.stages ?? stageList;
    const athena = { workGroupName: props.workGroupName, results: props.results, databaseName: props.databaseName };
    const functions = {} as Record<StageName, nodejs.NodejsFunction>;
    for (const stage of stages) {
      functions[stage.name] = new StageFunction(this, stage.name, {
        stage,
        lake,
        key,
        environment,
        mailFrom: config.mail.from,
        athena,
      }).function;
    }
    this.functions = functions;
    // Secrets only where a source names them, and only to extract, which pulls the sources.
    const secrets = [
      ...new Set(
        config.sources
          .flatMap((s) => (s.type === 'csv' ? [] : Object.values(s.credentials)))
          .filter((ref) => ref.startsWith('arn:'))
          .map((ref) => ref.split('#')[0]!),
      ),
    ];
    if (secrets.length > 0)
      functions.extract.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: secrets }),
      );

    const alarms = new PipelineAlarms(this, 'Alarms', { key, owners: config.owners });
    this.alarms = alarms.topic;
    this.stateMachine = new PipelineStateMachine(this, 'StateMachine', {
      stages,
      functions,
      alerts: alarms.topic,
      key,
    }).stateMachine;
    const monthly = new MonthlySchedule(this, 'Monthly', {
      stateMachine: this.stateMachine,
      key,
      timezone: config.timezone,
      ...(props.schedule ? { expression: props.schedule } : {}),
    });
    this.schedule = monthly.schedule;
    this.starter = monthly.starter;
    alarms.watchRuns(this.stateMachine, monthly.deadLetters);
    alarms.watchStarter(monthly.starter);
    for (const stage of stages) alarms.watchStage(stage.name, functions[stage.name]);
    alarms.watchMail();
    this.acknowledgeDeployment(props);
  }

  /** The config upload is the CDK's BucketDeployment provider (a singleton of the stack): its findings, accepted. */
  private acknowledgeDeployment(props: PulsePipelineProps): void {
    const stack = Stack.of(this);
    const partition = '<AWS::Partition>';
    const deployment = stack.node.findAll().find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!deployment) return;
    acknowledgeFindings(
      deployment,
      'AwsSolutions-IAM4',
      [`Policy::arn:${partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`],
      'the CDK BucketDeployment provider that uploads the config runs with AWSLambdaBasicExecutionRole, as aws-cdk-lib builds it, and only at deploy time',
    );
    acknowledgeFindings(
      deployment,
      'AwsSolutions-IAM5',
      [
        ...grantFamilies,
        `Resource::arn:${partition}:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*`,
        `Resource::${arnOf(props.lake)}/*`,
      ],
      'the CDK BucketDeployment provider copies the config from the CDK asset bucket into the lake; its grants are the construct own, used only at deploy time',
    );
    acknowledgeFindings(
      deployment,
      'AwsSolutions-L1',
      [],
      'the CDK BucketDeployment provider runtime is pinned by aws-cdk-lib itself, not by this app, and runs only at deploy time',
    );
  }
}
