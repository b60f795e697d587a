import { describe, expect, it } from 'vitest';
import {
  errorMatches,
  startExecution,
  validateDefinition,
  type ExecutionOptions,
  type MachineDefinition,
} from './interpreter.ts';
import { intrinsic, place } from './paths.ts';

/**
 * The ASL interpreter, one construct at a time, each against what the States Language spec and
 * the Step Functions docs say it does. Lambdas are plain functions here.
 */
const arn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

/** Lambdas by name; each call recorded with its payload. */
function lambdas(handlers: Record<string, (payload: unknown) => unknown>) {
  const calls: { name: string; payload: unknown }[] = [];
  const invokeLambda: ExecutionOptions['invokeLambda'] = async (functionArn, payload) => {
    const name = functionArn.split(':').pop()!;
    calls.push({ name, payload });
    return handlers[name]!(payload);
  };
  return { calls, invokeLambda };
}

const task = (name: string, fields: Record<string, unknown> = {}) => ({ Type: 'Task', Resource: arn(name), ...fields });

/** An error as a Lambda's Node.js runtime reports it: its name is the error type. */
function lambdaError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('validation', () => {
  it('refuses a definition asl-validator finds wrong, naming the problem', () => {
    const broken = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } };
    expect(() => validateDefinition(broken)).toThrow(/not valid ASL:\n.*Nowhere/);
  });

  it('accepts a valid one and leaves it as it was', () => {
    const definition = { StartAt: 'A', States: { A: { Type: 'Succeed' } } };
    validateDefinition(definition);
    expect(definition).toEqual({ StartAt: 'A', States: { A: { Type: 'Succeed' } } });
  });
});

describe('Pass', () => {
  it('builds its output from Parameters, with paths into the input and the context object', async () => {
    const machine: MachineDefinition = {
      StartAt: 'Start',
      States: {
        Start: {
          Type: 'Pass',
          Parameters: { 'period.$': '$.period', 'runId.$': '$$.Execution.Name', fixed: { a: 1 } },
          End: true,
        },
      },
    };
    const result = await startExecution(machine, { period: '2026-10', other: true }, { name: 'run-7', ...lambdas({}) });
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      output: { period: '2026-10', runId: 'run-7', fixed: { a: 1 } },
      path: ['Start'],
    });
  });

  it('places Result at ResultPath, then keeps OutputPath', async () => {
    const machine: MachineDefinition = {
      StartAt: 'P',
      States: { P: { Type: 'Pass', Result: { x: 1 }, ResultPath: '$.added.here', OutputPath: '$.added', End: true } },
    };
    const result = await startExecution(machine, { kept: 2 }, lambdas({}));
    expect(result.output).toEqual({ here: { x: 1 } });
  });

  it('ResultPath null keeps the input; a path through a string is States.ResultPathMatchFailure', () => {
    expect(place({ a: 1 }, 'r', null)).toEqual({ a: 1 });
    expect(() => place({ a: 'text' }, 'r', '$.a.b')).toThrow(/States.ResultPathMatchFailure/);
  });
});

describe('Task', () => {
  it('invokes a Lambda by ARN: InputPath, Parameters, then ResultSelector, ResultPath, OutputPath', async () => {
    const { calls, invokeLambda } = lambdas({ double: (p) => ({ value: (p as { n: number }).n * 2, noise: 'x' }) });
    const machine: MachineDefinition = {
      StartAt: 'T',
      States: {
        T: task('double', {
          InputPath: '$.job',
          Parameters: { 'n.$': '$.n' },
          ResultSelector: { 'doubled.$': '$.value' },
          ResultPath: '$.result',
          OutputPath: '$.result',
          End: true,
        }),
      },
    };
    const result = await startExecution(machine, { job: { n: 21, extra: 1 } }, { invokeLambda });
    expect(calls).toEqual([{ name: 'double', payload: { n: 21 } }]);
    expect(result.output).toEqual({ doubled: 42 });
  });

  it('runs arn:aws:states:::lambda:invoke: FunctionName and Payload in, the response with Payload out', async () => {
    const { calls, invokeLambda } = lambdas({ echo: (p) => ({ echoed: p }) });
    const machine: MachineDefinition = {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: arn('echo'), 'Payload.$': '$' },
          OutputPath: '$.Payload',
          End: true,
        },
      },
    };
    const result = await startExecution(machine, { period: '2026-10' }, { invokeLambda });
    expect(calls).toEqual([{ name: 'echo', payload: { period: '2026-10' } }]);
    expect(result.output).toEqual({ echoed: { period: '2026-10' } });
  });

  it('calls a service integration with its Parameters (SNS Publish), an intrinsic in them', async () => {
    const published: unknown[] = [];
    const machine: MachineDefinition = {
      StartAt: 'Alert',
      States: {
        Alert: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sns:publish',
          Parameters: {
            TopicArn: 'arn:aws:sns:us-east-1:0:alarms',
            'Message.$': "States.Format('run {} failed: {}', $$.Execution.Name, $.why)",
          },
          ResultPath: null,
          End: true,
        },
      },
    };
    const publish = async (p: unknown) => {
      published.push(p);
      return { MessageId: 'm' };
    };
    const services = { 'sns:publish': publish };
    const result = await startExecution(machine, { why: 'no data' }, { name: 'r1', services, ...lambdas({}) });
    expect(published).toEqual([{ TopicArn: 'arn:aws:sns:us-east-1:0:alarms', Message: 'run r1 failed: no data' }]);
    expect(result.output).toEqual({ why: 'no data' });
  });

  it('fails with States.Timeout after TimeoutSeconds, which States.TaskFailed does not take', async () => {
    const machine: MachineDefinition = {
      StartAt: 'Slow',
      States: {
        Slow: task('slow', {
          TimeoutSeconds: 1,
          Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'Caught' }],
          End: true,
        }),
        Caught: { Type: 'Succeed' },
      },
    };
    const slow = () => new Promise((resolve) => setTimeout(resolve, 1_500));
    const result = await startExecution(machine, {}, lambdas({ slow }));
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(errorMatches(['States.TaskFailed'], 'PulseRetryable')).toBe(true);
  });
});

describe('Retry and Catch', () => {
  it('retries an error MaxAttempts times, counting IntervalSeconds · BackoffRate^n, then catches it', async () => {
    let calls = 0;
    const failing = () => {
      calls += 1;
      throw lambdaError('PulseRetryable', 'Athena is busy');
    };
    const machine: MachineDefinition = {
      StartAt: 'Run',
      States: {
        Run: task('failing', {
          Retry: [
            { ErrorEquals: ['Lambda.ServiceException'], IntervalSeconds: 2, MaxAttempts: 6 },
            {
              ErrorEquals: ['PulseRetryable'],
              IntervalSeconds: 30,
              MaxAttempts: 3,
              BackoffRate: 2,
              JitterStrategy: 'FULL',
            },
          ],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }],
          Next: 'Done',
        }),
        Done: { Type: 'Succeed' },
        Failed: { Type: 'Fail', Error: 'PulseRunFailed', Cause: 'a stage failed' },
      },
    };
    const result = await startExecution(machine, { period: '2026-10' }, lambdas({ failing }));
    expect(calls).toBe(4);
    expect(result.retries.map((r) => [r.error, r.attempt, r.seconds])).toEqual([
      ['PulseRetryable', 1, 30],
      ['PulseRetryable', 2, 60],
      ['PulseRetryable', 3, 120],
    ]);
    expect(result.caught).toEqual([{ state: 'Run', error: 'PulseRetryable', next: 'Failed' }]);
    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'PulseRunFailed',
      cause: 'a stage failed',
      path: ['Run', 'Run', 'Run', 'Run', 'Failed'],
    });
  });

  it('gives the Catch target the error and, as the cause, the Lambda error payload', async () => {
    const machine: MachineDefinition = {
      StartAt: 'Run',
      States: {
        Run: task('bad', { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Seen' }], End: true }),
        Seen: { Type: 'Pass', End: true },
      },
    };
    const bad = () => {
      throw lambdaError('StageError', 'curate failed: no rows');
    };
    const result = await startExecution(machine, { period: '2026-10' }, lambdas({ bad }));
    const output = result.output as { period: string; error: { Error: string; Cause: string } };
    expect(output.period).toBe('2026-10');
    expect(output.error.Error).toBe('StageError');
    expect(JSON.parse(output.error.Cause)).toMatchObject({
      errorType: 'StageError',
      errorMessage: 'curate failed: no rows',
    });
  });

  it('caps the backoff at MaxDelaySeconds', async () => {
    const machine: MachineDefinition = {
      StartAt: 'Run',
      States: {
        Run: task('bad', {
          Retry: [{ ErrorEquals: ['X'], IntervalSeconds: 10, MaxAttempts: 3, BackoffRate: 3, MaxDelaySeconds: 40 }],
          End: true,
        }),
      },
    };
    const result = await startExecution(machine, {}, lambdas({ bad: () => Promise.reject(lambdaError('X', 'x')) }));
    expect(result.retries.map((r) => r.seconds)).toEqual([10, 30, 40]);
    expect(result).toMatchObject({ status: 'FAILED', error: 'X' });
  });

  it('does not let States.ALL catch States.Runtime (a path that matches nothing)', async () => {
    const machine: MachineDefinition = {
      StartAt: 'Run',
      States: {
        Run: task('ok', {
          Parameters: { 'x.$': '$.missing' },
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          End: true,
        }),
        Caught: { Type: 'Succeed' },
      },
    };
    const result = await startExecution(machine, {}, lambdas({ ok: () => ({}) }));
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(result.cause).toContain("'$.missing' could not be found");
  });
});

describe('Choice', () => {
  it("loops while a Lambda says it is not drained (the stack's extract), then takes Default", async () => {
    let left = 2;
    const extract = () => ({ drained: --left === 0 });
    const machine: MachineDefinition = {
      StartAt: 'Run extract',
      States: {
        'Run extract': task('extract', { Next: 'Drained?' }),
        'Drained?': {
          Type: 'Choice',
          Choices: [
            {
              And: [
                { Variable: '$.drained', IsPresent: true },
                { Variable: '$.drained', BooleanEquals: false },
              ],
              Next: 'Run extract',
            },
          ],
          Default: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    };
    const result = await startExecution(machine, {}, lambdas({ extract }));
    expect(result.path).toEqual(['Run extract', 'Drained?', 'Run extract', 'Drained?', 'Done']);
  });

  it('compares numbers, strings, timestamps and paths; Not and Or', async () => {
    const route = async (input: unknown) => {
      const machine: MachineDefinition = {
        StartAt: 'C',
        States: {
          C: {
            Type: 'Choice',
            Choices: [
              { Variable: '$.n', NumericGreaterThanPath: '$.limit', Next: 'Big' },
              {
                Or: [
                  { Variable: '$.s', StringMatches: 'pulse-*-2026' },
                  { Variable: '$.t', TimestampLessThan: '2020-01-01T00:00:00Z' },
                ],
                Next: 'Match',
              },
              { Not: { Variable: '$.s', IsString: true }, Next: 'NotString' },
            ],
            Default: 'Other',
          },
          Big: { Type: 'Succeed' },
          Match: { Type: 'Succeed' },
          NotString: { Type: 'Succeed' },
          Other: { Type: 'Succeed' },
        },
      };
      return (await startExecution(machine, input, lambdas({}))).path[1];
    };
    expect(await route({ n: 5, limit: 4, s: 'x', t: '2030-01-01T00:00:00Z' })).toBe('Big');
    expect(await route({ n: 3, limit: 4, s: 'pulse-run-2026', t: '2030-01-01T00:00:00Z' })).toBe('Match');
    expect(await route({ n: 3, limit: 4, s: 'x', t: '2019-01-01T00:00:00Z' })).toBe('Match');
    expect(await route({ n: 3, limit: 4, s: 7, t: '2030-01-01T00:00:00Z' })).toBe('NotString');
    expect(await route({ n: 3, limit: 4, s: 'x', t: '2030-01-01T00:00:00Z' })).toBe('Other');
  });

  it('fails with States.NoChoiceMatched when nothing matches and there is no Default', async () => {
    const machine: MachineDefinition = {
      StartAt: 'C',
      States: {
        C: { Type: 'Choice', Choices: [{ Variable: '$.x', StringEquals: 'a', Next: 'A' }] },
        A: { Type: 'Succeed' },
      },
    };
    expect(await startExecution(machine, { x: 'b' }, lambdas({}))).toMatchObject({
      status: 'FAILED',
      error: 'States.NoChoiceMatched',
    });
  });
});

describe('Fail, Succeed, Wait', () => {
  it('Fail ends the execution with its Error and Cause, or those at ErrorPath and CausePath', async () => {
    const fixed: MachineDefinition = { StartAt: 'F', States: { F: { Type: 'Fail', Error: 'E', Cause: 'because' } } };
    expect(await startExecution(fixed, {}, lambdas({}))).toMatchObject({
      status: 'FAILED',
      error: 'E',
      cause: 'because',
    });
    const fromPath: MachineDefinition = {
      StartAt: 'F',
      States: { F: { Type: 'Fail', ErrorPath: '$.e', CausePath: '$.c' } },
    };
    expect(await startExecution(fromPath, { e: 'E2', c: 'C2' }, lambdas({}))).toMatchObject({
      error: 'E2',
      cause: 'C2',
    });
  });

  it('Wait counts its seconds without waiting them', async () => {
    const machine: MachineDefinition = {
      StartAt: 'W',
      States: {
        W: { Type: 'Wait', SecondsPath: '$.s', Next: 'Done' },
        Done: { Type: 'Succeed', OutputPath: '$.keep' },
      },
    };
    const started = Date.now();
    const result = await startExecution(machine, { s: 3600, keep: 'k' }, lambdas({}));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: 'k', waited: [{ state: 'W', seconds: 3600 }] });
  });
});

describe('Map and Parallel', () => {
  it('Map runs its processor on each item, with ItemSelector and $$.Map.Item, and collects the results', async () => {
    const { calls, invokeLambda } = lambdas({ square: (p) => (p as { v: number }).v ** 2 });
    const machine: MachineDefinition = {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemSelector: { 'v.$': '$$.Map.Item.Value', 'i.$': '$$.Map.Item.Index' },
          ItemProcessor: { StartAt: 'Sq', States: { Sq: task('square', { End: true }) } },
          ResultPath: '$.squares',
          End: true,
        },
      },
    };
    const result = await startExecution(machine, { items: [2, 3] }, { invokeLambda });
    expect(calls.map((c) => c.payload)).toEqual([
      { v: 2, i: 0 },
      { v: 3, i: 1 },
    ]);
    expect(result.output).toEqual({ items: [2, 3], squares: [4, 9] });
  });

  it('Parallel runs each branch on the input; a branch failure is the state’s error, which Catch takes', async () => {
    const machine: MachineDefinition = {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'A', States: { A: { Type: 'Pass', Result: 1, End: true } } },
            { StartAt: 'B', States: { B: { Type: 'Fail', Error: 'Broken', Cause: 'b' } } },
          ],
          Catch: [{ ErrorEquals: ['Broken'], ResultPath: '$.error', Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Succeed' },
      },
    };
    const result = await startExecution(machine, {}, lambdas({}));
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { error: { Error: 'Broken', Cause: 'b' } } });
  });
});

describe('intrinsic functions', () => {
  const data = { name: 'pulse', n: 2, json: '{"a":[1,2]}' };
  const context = { Execution: { Name: 'run-1' } };
  it.each([
    ["States.Format('Pulse run {} for {}', $$.Execution.Name, $.name)", 'Pulse run run-1 for pulse'],
    ["States.Format('literal \\{\\} and {}', $.n)", 'literal {} and 2'],
    ['States.StringToJson($.json)', { a: [1, 2] }],
    ['States.JsonToString(States.StringToJson($.json))', '{"a":[1,2]}'],
    ["States.Array($.n, 'x', null, true)", [2, 'x', null, true]],
    ['States.MathAdd($.n, -5)', -3],
    ["States.ArrayLength(States.StringSplit('a,b,,c', ','))", 3],
  ])('%s', (text, expected) => {
    expect(intrinsic(text, data, context, 'test')).toEqual(expected);
  });

  it('refuses a Format whose placeholders and values do not match', () => {
    expect(() => intrinsic("States.Format('{} {}', $.n)", data, context, 'test')).toThrow(/States.IntrinsicFailure/);
  });
});
