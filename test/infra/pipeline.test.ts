import { App } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../functions/config/schema.ts';
import { stageList } from '../../functions/stages/list.ts';
import { retryableErrorName } from '../../functions/errors.ts';
import { executionExists } from '../../infra/monthlySchedule.ts';
import { configKey, defaultSchedule, PulsePipeline, scheduleInput } from '../../infra/pipeline.ts';
import { PulseLakeStack } from '../../infra/lakeStack.ts';
import { buildPulse } from '../../infra/pulseApp.ts';
import { stageFunctionProps } from '../../infra/stageFunction.ts';

/**
 * The pipeline as the stack builds it (aws-cdk-lib/assertions on the synthesized template): one
 * Lambda per stage of the stage list, the state machine in the list's order, the monthly schedule
 * in the business zone, the alarms, and each role's grants. Bundling is skipped (the
 * `aws:cdk:bundling-stacks` context): the template is the same, esbuild is not run.
 */
const config = configSchema.parse({
  lake: 's3://unused',
  timezone: 'Europe/Helsinki',
  owners: ['ops@example.com'],
  mail: { transport: 'ses', from: 'pulse@example.com' },
  sources: [
    { name: 'desk', type: 'csv', entity: 'tickets', path: 'tickets.csv' },
    {
      name: 'zd',
      type: 'zendesk',
      baseUrl: 'https://acme.zendesk.com',
      credentials: {
        email: 'arn:aws:secretsmanager:eu-north-1:123456789012:secret:zendesk-AbCdEf#email',
        token: 'arn:aws:secretsmanager:eu-north-1:123456789012:secret:zendesk-AbCdEf#token',
      },
    },
  ],
});

function synthPipeline(): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const { lake } = buildPulse(app, config);
  return Template.fromStack(lake);
}

const template = synthPipeline();
const functions = template.findResources('AWS::Lambda::Function', {
  Properties: { Environment: { Variables: { PULSE_CONFIG_KEY: configKey } } },
});
const byStage = (stage: string) => Object.entries(functions).find(([id]) => id.includes(`${stage}Function`))!;
const policiesOf = (functionId: string) => {
  const role = (functions[functionId]!.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role),
  );
};
const statementsOf = (functionId: string) =>
  policiesOf(functionId).flatMap(
    (p) =>
      p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown; Condition?: unknown }[],
  );
interface Machine {
  StartAt: string;
  States: Record<string, { Type?: string; Next?: string; Default?: string; Retry?: { ErrorEquals: string[] }[] }>;
}
/** The states a run passes through when every stage succeeds at once (a Choice takes its default). */
function walk(machine: Machine): string[] {
  const order: string[] = [];
  for (let name: string | undefined = machine.StartAt; name;) {
    const state: Machine['States'][string] = machine.States[name]!;
    if (state.Type !== 'Choice') order.push(name);
    name = state.Type === 'Choice' ? state.Default : state.Next;
  }
  return order;
}
const actionsOf = (functionId: string) =>
  statementsOf(functionId).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

describe('the pipeline stack', () => {
  it('builds one Lambda per stage: Node.js 24 on arm64, sized by the stage list, told where the lake and config are', () => {
    expect(Object.keys(functions)).toHaveLength(stageList.length);
    for (const stage of stageList) {
      const [, fn] = byStage(stage.name);
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: stage.memoryMb,
        Timeout: stage.timeoutSeconds,
        TracingConfig: { Mode: 'Active' },
      });
      expect(fn.Properties.Environment.Variables).toMatchObject({
        PULSE_CONFIG_KEY: configKey,
        PULSE_WORKGROUP: 'pulse',
        PULSE_DATABASE: 'pulse',
      });
    }
  });

  it('runs the stages in the order of the stage list, retrying what a retry can help', () => {
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    // The definition as Step Functions reads it: the Fn::Join's text, each token a placeholder.
    const [, parts] = machine!.Properties.DefinitionString['Fn::Join'] as [string, unknown[]];
    const states = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'ARN')).join('')) as Machine;
    expect(walk(states)).toEqual(['Start', ...stageList.map((s) => `Run ${s.name}`), 'Done']);
    // A stage that repeats until drained (extract, curate, marts) runs again while it says it is
    // not (it stopped for time, its progress saved); the others go straight on.
    for (const [i, stage] of stageList.entries()) {
      const title = `${stage.name[0]!.toUpperCase()}${stage.name.slice(1)} drained?`;
      const after = stageList[i + 1] ? `Run ${stageList[i + 1]!.name}` : 'Done';
      if (!stage.repeatsUntilDrained) {
        expect(states.States[`Run ${stage.name}`]!.Next).toBe(after);
        continue;
      }
      const choice = states.States[title] as {
        Choices: { Next: string; Variable?: string; And?: unknown[] }[];
        Default: string;
      };
      expect(states.States[`Run ${stage.name}`]!.Next).toBe(title);
      expect(choice.Choices[0]!.Next).toBe(`Run ${stage.name}`);
      expect(JSON.stringify(choice.Choices[0])).toContain('"Variable":"$.drained","BooleanEquals":false');
      expect(choice.Default).toBe(after);
    }
    expect(
      Object.keys(states.States)
        .filter((s) => s.endsWith('drained?'))
        .sort(),
    ).toEqual(['Curate drained?', 'Extract drained?', 'Marts drained?']);
    // A stage that fails for good alerts the operator, naming the stage, then fails the run.
    for (const stage of stageList) {
      const run = states.States[`Run ${stage.name}`] as { Catch?: { Next: string }[] };
      expect(run.Catch?.[0]?.Next).toBe(`Alert ${stage.name}`);
      expect(JSON.stringify(states.States[`Alert ${stage.name}`])).toContain(`failed in the ${stage.name} stage`);
      expect(states.States[`Alert ${stage.name}`]!.Next).toBe('Failed');
    }
    for (const stage of stageList)
      expect(states.States[`Run ${stage.name}`]!.Retry!.flatMap((r) => r.ErrorEquals)).toContain(retryableErrorName);
    const definition = JSON.stringify(states);
    // The run id every stage gets is the execution's name.
    expect(definition).toContain('$$.Execution.Name');
    expect(machine!.Properties).toMatchObject({
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL' },
    });
  });

  it('follows the stage list it is given: another order, another machine', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const lake = new PulseLakeStack(app, 'Other');
    const reordered = [stageList[0]!, stageList[2]!, stageList[1]!];
    new PulsePipeline(lake, 'Pipeline', {
      config,
      lake: lake.lake,
      key: lake.key,
      workGroupName: 'pulse',
      results: lake.athena.results,
      databaseName: 'pulse',
      stages: reordered,
    });
    const [machine] = Object.values(Template.fromStack(lake).findResources('AWS::StepFunctions::StateMachine'));
    const [, parts] = machine!.Properties.DefinitionString['Fn::Join'] as [string, unknown[]];
    const states = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'ARN')).join('')) as Machine;
    expect(walk(states)).toEqual(['Start', 'Run extract', 'Run marts', 'Run curate', 'Done']);
    expect(
      Object.keys(
        Template.fromStack(lake).findResources('AWS::Lambda::Function', {
          Properties: { Environment: { Variables: { PULSE_CONFIG_KEY: configKey } } },
        }),
      ),
    ).toHaveLength(3);
  });

  it('starts a run every month in the business time zone, with a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: defaultSchedule,
      ScheduleExpressionTimezone: 'Europe/Helsinki',
      Target: Match.objectLike({
        Input: JSON.stringify(scheduleInput),
        DeadLetterConfig: { Arn: Match.anyValue() },
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 10 }),
      }),
    });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() });
  });

  it('names each run by its period: the schedule starts a starter, which starts the pipeline under that name', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    const definitionOf = (id: string) => {
      const [, parts] = machines[id]!.Properties.DefinitionString['Fn::Join'] as [string, unknown[]];
      return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'ARN')).join('')) as Machine & {
        States: Record<string, { Resource?: string; Parameters?: Record<string, unknown>; Catch?: unknown[] }>;
      };
    };
    const starterId = Object.keys(machines).find((id) => id.includes('Starter'))!;
    const pipelineId = Object.keys(machines).find((id) => id !== starterId)!;
    // The schedule starts the starter, and the starter alone may start the pipeline.
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({ Arn: { Ref: starterId } }),
    });
    const starter = definitionOf(starterId);
    const start = starter.States['Start the run']!;
    expect(start.Resource).toBe('arn:ARN:states:::states:startExecution');
    expect(start.Parameters).toMatchObject({
      'Name.$': '$.period',
      Input: { 'period.$': '$.period', 'scheduledTime.$': '$.scheduledTime' },
    });
    expect(start.Catch).toEqual([{ ErrorEquals: [executionExists], Next: 'Period already run' }]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PULSE_TIMEZONE: 'Europe/Helsinki' }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'states:StartExecution', Resource: { Ref: pipelineId } }),
        ]),
      },
    });
    // The pipeline refuses a run not named for its period before any stage runs.
    const pipeline = definitionOf(pipelineId);
    expect(pipeline.States.Start!.Next).toBe('Named for its period?');
    expect(JSON.stringify(pipeline.States['Named for its period?'])).toContain(
      '"Not":{"Variable":"$.runId","StringEqualsPath":"$.period"}',
    );
  });

  it('alarms the operator on a failed, timed-out or aborted run and on a run the schedule could not start, by e-mail to the owners', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.map((a) => a.Properties.MetricName).sort()).toEqual(
      [
        'ApproximateNumberOfMessagesVisible',
        'ExecutionsAborted',
        'ExecutionsFailed',
        'ExecutionsFailed', // the starter's: the schedule could not start the period's run
        'ExecutionsTimedOut',
        'Reputation.BounceRate',
        'Reputation.ComplaintRate',
        ...stageList.map(() => 'Errors'),
      ].sort(),
    );
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toHaveLength(1);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  it('grants each stage only what it touches: Athena where it queries, SES from the sender alone, secrets to extract alone', () => {
    for (const stage of stageList) {
      const [id] = byStage(stage.name);
      const actions = actionsOf(id);
      expect(
        actions.some((a) => a.startsWith('athena:')),
        stage.name,
      ).toBe(stage.queries);
      // The stages that materialise work tables (validated rows, a slice's kpi_monthly rows) do
      // so only under the scratch prefix; their files are under the workgroup's results location,
      // so no role touches a lake _scratch/. Curate stages a fold's rows under curated/_staging/
      // (where a re-invocation after a stop for time finds them), inside the curated/ it writes.
      expect(actions.includes('glue:CreateTable'), stage.name).toBe(stage.scratchTables);
      expect(JSON.stringify(statementsOf(id)), stage.name).not.toContain('/_scratch/');
      expect(actions).not.toContain('glue:UpdateTable');
      const creates = statementsOf(id).filter((s) =>
        (Array.isArray(s.Action) ? s.Action : [s.Action]).includes('glue:CreateTable'),
      );
      for (const statement of creates)
        expect(JSON.stringify(statement.Resource), stage.name).toMatch(/table\/pulse\/pulse_scratch_\*/);
      expect(JSON.stringify(creates.map((c) => c.Resource))).not.toMatch(/table\/pulse\/\*/);
      expect(actions.includes('secretsmanager:GetSecretValue'), stage.name).toBe(stage.name === 'extract');
      expect(actions).not.toContain('s3:*');
      expect(actions.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
      const ses = statementsOf(id).find((s) =>
        (Array.isArray(s.Action) ? s.Action : [s.Action]).includes('ses:SendRawEmail'),
      );
      expect(ses?.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'pulse@example.com' } });
    }
    // The lake's lease, held by every stage while it runs: get, put, delete on that one object.
    for (const stage of stageList) {
      const [id] = byStage(stage.name);
      const lease = statementsOf(id).filter((s) => JSON.stringify(s.Resource).includes('/_lock.json'));
      expect(lease, stage.name).toEqual([
        expect.objectContaining({
          Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
          Resource: { 'Fn::Join': ['', [expect.objectContaining({ 'Fn::GetAtt': expect.any(Array) }), '/_lock.json']] },
        }),
      ]);
    }
    // The secret's ARN without the JSON key the reference picks.
    const [extractId] = byStage('extract');
    expect(statementsOf(extractId).find((s) => s.Action === 'secretsmanager:GetSecretValue')?.Resource).toEqual(
      'arn:aws:secretsmanager:eu-north-1:123456789012:secret:zendesk-AbCdEf',
    );
    // Extract writes raw/ and state/, never curated/ or reports/.
    const extractResources = JSON.stringify(statementsOf(extractId).map((s) => s.Resource));
    expect(extractResources).toContain('raw/*');
    expect(extractResources).not.toContain('curated/*');
    expect(extractResources).not.toContain('reports/*');
  });

  it("gives the render role no Athena or Glue action and no curated, marts or results access: it reads evaluate's files", () => {
    const [renderId] = byStage('render');
    // Every statement of the render role, read through aws-cdk-lib/assertions' Template.
    const statements = statementsOf(renderId);
    expect(statements.length).toBeGreaterThan(0);
    const actions = actionsOf(renderId);
    expect(actions).toContain('ses:SendRawEmail');
    expect(actions.filter((a) => a.startsWith('athena:') || a.startsWith('glue:'))).toEqual([]);
    const resources = JSON.stringify(statements.map((s) => s.Resource));
    expect(resources).toContain('reports/*');
    for (const prefix of ['curated/', 'marts/', 'rejects/', 'raw/']) expect(resources).not.toContain(prefix);
    const results = Object.keys(template.findResources('AWS::S3::Bucket')).find((id) => id.includes('Results'))!;
    expect(resources).not.toContain(results);
    // Evaluate, which writes render's inputs, still queries.
    expect(actionsOf(byStage('evaluate')[0]).some((a) => a.startsWith('athena:'))).toBe(true);
  });

  it("lets only a table's writer put and delete its manifests; each querying stage reads those it queries", () => {
    /** The S3 actions a stage's role has on objects under a lake prefix. */
    const actionsOn = (stage: string, prefix: string) =>
      statementsOf(byStage(stage)[0])
        .filter((s) => JSON.stringify(s.Resource).includes(`/${prefix}*`))
        .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]) as string[])
        .filter((a) => a.startsWith('s3:'));
    const writes = (actions: string[]) =>
      actions.some((a) => a.startsWith('s3:PutObject') || a.startsWith('s3:DeleteObject'));
    const reads = (actions: string[]) => actions.some((a) => a.startsWith('s3:GetObject'));
    // curate commits curated months, marts commits mart months: each writes its own manifests only.
    expect(writes(actionsOn('curate', '_manifests/curated/'))).toBe(true);
    expect(actionsOn('curate', '_manifests/marts/')).toEqual([]);
    expect(writes(actionsOn('marts', '_manifests/marts/'))).toBe(true);
    expect(reads(actionsOn('marts', '_manifests/curated/'))).toBe(true);
    expect(writes(actionsOn('marts', '_manifests/curated/'))).toBe(false);
    // evaluate queries both through Athena, which reads the manifests with its role.
    for (const prefix of ['_manifests/curated/', '_manifests/marts/']) {
      expect(reads(actionsOn('evaluate', prefix)), prefix).toBe(true);
      expect(writes(actionsOn('evaluate', prefix)), prefix).toBe(false);
    }
    // The stages that run no query touch no manifest.
    for (const stage of ['extract', 'render', 'deliver'])
      expect(JSON.stringify(statementsOf(byStage(stage)[0]).map((s) => s.Resource)), stage).not.toContain('_manifests');
  });

  it("builds a stage function's props as a pure function: the secure defaults, no resource made", () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const lake = new PulseLakeStack(app, 'Pure');
    const before = lake.node.findAll().length;
    const role = iam.Role.fromRoleArn(lake, 'R', 'arn:aws:iam::123456789012:role/r');
    const logGroup = logs.LogGroup.fromLogGroupName(lake, 'L', 'l');
    const render = stageList.find((s) => s.name === 'render')!;
    const props = stageFunctionProps(render, { role, logGroup, environment: { A: 'b' } });
    expect(lake.node.findAll().length).toBe(before + 2);
    expect(props).toMatchObject({
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      tracing: lambda.Tracing.ACTIVE,
      memorySize: render.memoryMb,
      role,
      logGroup,
      environment: { A: 'b' },
    });
    expect(props.timeout?.toSeconds()).toBe(render.timeoutSeconds);
    // Render carries resvg's WebAssembly and its font beside the bundle; the others nothing.
    expect(props.bundling?.commandHooks).toBeDefined();
    expect(
      stageFunctionProps(stageList[0]!, { role, logGroup, environment: {} }).bundling?.commandHooks,
    ).toBeUndefined();
  });

  it('puts the config in the lake where the Lambdas read it', () => {
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketKeyPrefix: 'config',
      Prune: false,
    });
  });
});
