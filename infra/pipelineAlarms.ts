import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/**
 * The operator hears of every run that did not finish: failed, timed out, aborted, or never
 * started (the schedule's dead letters), of each stage Lambda's errors and of SES's reputation.
 * The alarms and the state machine's alerts go to one encrypted topic the owners subscribe to.
 */
export class PipelineAlarms extends Construct {
  readonly topic: sns.Topic;
  private readonly period = Duration.minutes(5);
  constructor(scope: Construct, id: string, props: { key: kms.IKey; owners: readonly string[] }) {
    super(scope, id);
    // 'Default': the topic keeps the logical id it had before the pipeline was split into constructs.
    this.topic = new sns.Topic(this, 'Default', {
      masterKey: props.key,
      enforceSSL: true,
      displayName: 'Pulse pipeline alarms',
    });
    for (const owner of props.owners) this.topic.addSubscription(new subscriptions.EmailSubscription(owner));
    // CloudWatch publishes alarms to the encrypted topic with the lake key.
    props.key.grantEncryptDecrypt(new iam.ServicePrincipal('cloudwatch.amazonaws.com'));
  }

  /** Alarms on a run that failed, timed out or was aborted, and on a schedule that could not start one. */
  watchRuns(stateMachine: sfn.StateMachine, deadLetters: sqs.IQueue): void {
    const { period } = this;
    this.alarm(
      'RunFailed',
      stateMachine.metricFailed({ period, statistic: 'Sum' }),
      'A Pulse run failed: the state machine execution names the stage and the cause.',
    );
    this.alarm('RunTimedOut', stateMachine.metricTimedOut({ period, statistic: 'Sum' }), 'A Pulse run timed out.');
    this.alarm('RunAborted', stateMachine.metricAborted({ period, statistic: 'Sum' }), 'A Pulse run was aborted.');
    this.alarm(
      'ScheduleUndelivered',
      deadLetters.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      'The monthly schedule could not start a run: see its dead-letter queue.',
    );
  }

  /** The monthly starter failed: no run was started for the period (one already started is not a failure). */
  watchStarter(starter: sfn.StateMachine): void {
    this.alarm(
      'RunNotStarted',
      starter.metricFailed({ period: this.period, statistic: 'Sum' }),
      'The monthly schedule could not start the run: see the starter execution for the cause.',
    );
  }

  /** An alarm on a stage Lambda's errors (a retry may have recovered it; the run's own alarm says if not). */
  watchStage(name: string, fn: lambda.IFunction): void {
    this.alarm(
      `${name}Errors`,
      fn.metricErrors({ period: this.period, statistic: 'Sum' }),
      `The ${name} Lambda failed (a retry may have recovered it; the run's own alarm says if not).`,
    );
  }

  /** SES pauses an account whose bounce rate passes 10% or complaint rate 0.5%: warn at half. */
  watchMail(): void {
    const metric = (metricName: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/SES', metricName, statistic: 'Maximum', period: Duration.hours(1) });
    this.alarm(
      'MailBounces',
      metric('Reputation.BounceRate'),
      "SES's bounce rate passed 5%: check the recipients in the config.",
      0.05,
    );
    this.alarm(
      'MailComplaints',
      metric('Reputation.ComplaintRate'),
      "SES's complaint rate passed 0.25%: recipients mark the reports as spam.",
      0.0025,
    );
  }

  private alarm(name: string, metric: cloudwatch.IMetric, description: string, threshold = 1): void {
    const alarm = new cloudwatch.Alarm(this, name, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
  }
}
