import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeFindings } from './acknowledge.ts';

/** 06:00 on the 1st of every month in the business zone: the month just ended is reported. */
export const defaultSchedule = 'cron(0 6 1 * ? *)';
/** What the schedule starts a run with: no period, the time it fired (the period is the month before it). */
export const scheduleInput = { period: null, scheduledTime: '<aws.scheduler.scheduled-time>' };

export interface MonthlyScheduleProps {
  stateMachine: sfn.StateMachine;
  key: kms.IKey;
  /** The business time zone the expression is read in. */
  timezone: string;
  /** EventBridge Scheduler expression; default: 06:00 on the 1st of every month. */
  expression?: string;
}

/**
 * The EventBridge Scheduler schedule that starts a run each month, with no period and the time
 * it fired: each Lambda reports the month before that time in the business zone. A run started
 * by hand names its period: {"period": "2026-10", "scheduledTime": null}. What it cannot deliver
 * goes to an encrypted dead-letter queue, which the alarms watch.
 */
export class MonthlySchedule extends Construct {
  readonly schedule: scheduler.CfnSchedule;
  readonly deadLetters: sqs.Queue;
  constructor(scope: Construct, id: string, props: MonthlyScheduleProps) {
    super(scope, id);
    const { key, stateMachine } = props;
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
    stateMachine.grantStartExecution(invoke);
    this.deadLetters.grantSendMessages(invoke);
    key.grantEncryptDecrypt(invoke);
    this.schedule = new scheduler.CfnSchedule(this, 'Default', {
      description: 'Pulse: the monthly reports',
      scheduleExpression: props.expression ?? defaultSchedule,
      scheduleExpressionTimezone: props.timezone,
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: stateMachine.stateMachineArn,
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
}
