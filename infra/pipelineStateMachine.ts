import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { retryableErrorName } from '../functions/errors.ts';
import type { StageDefinition, StageName } from '../functions/stages/list.ts';
import { acknowledgeFindings, arnOf } from './acknowledge.ts';

export interface PipelineStateMachineProps {
  /** The stages, in the order they run. */
  stages: readonly StageDefinition[];
  functions: Partial<Record<StageName, lambda.IFunction>>;
  /** Where a stage that fails for good is announced. */
  alerts: sns.ITopic;
  key: kms.IKey;
}

/**
 * The state machine: the stages in the list's order, each handed the previous one's output (the
 * event: period and run id, passed through) and retried when the failure says a retry can help;
 * a stage that repeats until drained runs again while it says it is not drained.
 */
export class PipelineStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  constructor(scope: Construct, id: string, props: PipelineStateMachineProps) {
    super(scope, id);
    const { stages, functions } = props;
    const start = new sfn.Pass(this, 'Start', {
      parameters: { 'period.$': '$.period', 'scheduledTime.$': '$.scheduledTime', 'runId.$': '$$.Execution.Name' },
    });
    const failed = new sfn.Fail(this, 'Failed', {
      cause: 'a stage failed: see the alert sent to the owners',
      error: 'PulseRunFailed',
    });
    const runs = stages.map((stage) => {
      const task = new tasks.LambdaInvoke(this, `Run ${stage.name}`, {
        lambdaFunction: functions[stage.name]!,
        payloadResponseOnly: true,
        retryOnServiceExceptions: true,
        taskTimeout: sfn.Timeout.duration(Duration.seconds(stage.timeoutSeconds + 60)),
      });
      task.addRetry({
        errors: [retryableErrorName],
        interval: Duration.seconds(30),
        backoffRate: 2,
        maxAttempts: 3,
        jitterStrategy: sfn.JitterType.FULL,
      });
      // Whatever stops a stage tells the operator which stage, and why, then fails the run.
      const alert = new tasks.SnsPublish(this, `Alert ${stage.name}`, {
        topic: props.alerts,
        subject: `Pulse: the ${stage.name} stage failed`,
        message: sfn.TaskInput.fromJsonPathAt(
          sfn.JsonPath.format(
            `Pulse run {} failed in the ${stage.name} stage: {}`,
            sfn.JsonPath.stringAt('$$.Execution.Name'),
            sfn.JsonPath.stringAt('$.error.Cause'),
          ),
        ),
        resultPath: sfn.JsonPath.DISCARD,
      });
      alert.next(failed);
      task.addCatch(alert, { resultPath: '$.error' });
      return task;
    });
    // One execution per period (docs/design.md): a run is named by its period, which Step
    // Functions keeps unique for 90 days; a run started under another name is refused.
    const named = new sfn.Choice(this, 'Named for its period?')
      .when(
        sfn.Condition.not(sfn.Condition.stringEqualsJsonPath('$.runId', '$.period')),
        new sfn.Fail(this, 'Not named for its period', {
          error: 'RunNotNamedForItsPeriod',
          cause:
            'start a run with its period as the execution name and the input (--name 2026-10 --input ' +
            '\'{"period": "2026-10"}\'): a period runs once; a failed run is redriven, not started again',
        }),
      )
      .otherwise(runs[0]!);
    start.next(named);
    for (const [i, stage] of stages.entries()) {
      const next: sfn.IChainable = runs[i + 1] ?? new sfn.Succeed(this, 'Done');
      if (stage.repeatsUntilDrained) {
        // A stage out of time saved its progress and says it is not drained: run it again.
        const title = `${stage.name[0]!.toUpperCase()}${stage.name.slice(1)}`;
        const drained = new sfn.Choice(this, `${title} drained?`)
          .when(
            sfn.Condition.and(sfn.Condition.isPresent('$.drained'), sfn.Condition.booleanEquals('$.drained', false)),
            runs[i]!,
          )
          .otherwise(next);
        runs[i]!.next(drained);
      } else runs[i]!.next(next);
    }
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.key,
    });
    // 'Default': the state machine keeps the logical id it had before the pipeline was split into constructs.
    this.stateMachine = new sfn.StateMachine(this, 'Default', {
      definitionBody: sfn.DefinitionBody.fromChainable(start),
      // A backfill may take extract many invocations; a month's run never takes a day.
      timeout: Duration.hours(24),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    // The alert is published to the encrypted topic: the two key actions that takes, no others.
    props.key.grant(this.stateMachine.role, 'kms:GenerateDataKey', 'kms:Decrypt');
    acknowledgeFindings(
      this.stateMachine.role,
      'AwsSolutions-IAM5',
      stages.map((stage) => `Resource::${arnOf(functions[stage.name]!)}:*`),
      "Step Functions' LambdaInvoke may invoke each stage function's versions and aliases (<arn>:*), and those functions only",
    );
    acknowledgeFindings(
      this.stateMachine.role,
      'AwsSolutions-IAM5',
      ['Resource::*'],
      "X-Ray's trace actions take no resource: the state machine's active tracing needs them on *",
    );
  }
}
