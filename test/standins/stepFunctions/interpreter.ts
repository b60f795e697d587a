import { randomUUID } from 'node:crypto';
import aslValidator from 'asl-validator';
import { evaluateRule, type ChoiceRule } from './choice.ts';
import { isObject, place, read, StatesError, template } from './paths.ts';

/**
 * An interpreter for the part of the Amazon States Language (JSONPath) a Pulse state machine
 * uses, to run the synthesized definition here: Task (a Lambda by ARN, the optimised
 * `arn:aws:states:::lambda:invoke`, and other service integrations given as functions), Choice,
 * Pass, Wait (its time counted, not waited), Succeed, Fail, Map and Parallel (one item at a
 * time), Retry (the backoff counted, not slept) and Catch, and InputPath, Parameters,
 * ResultSelector, ResultPath and OutputPath. Spec: https://states-language.net/spec.html; AWS
 * docs: "Handling errors in Step Functions workflows".
 */

export interface StateDefinition {
  Type: string;
  Next?: string;
  End?: boolean;
  [field: string]: unknown;
}

export interface MachineDefinition {
  StartAt: string;
  States: Record<string, StateDefinition>;
  TimeoutSeconds?: number;
  [field: string]: unknown;
}

/** A task's failure as Step Functions sees it: an error name and a cause (for a Lambda, its error payload as JSON). */
export interface Failure {
  error: string;
  cause: string;
}

export interface ExecutionOptions {
  /** The execution's name ($$.Execution.Name); default a UUID, as StartExecution draws one. */
  name?: string;
  /** Runs a Lambda: its ARN, the payload; returns what the function returned, throws what it threw. */
  invokeLambda: (functionArn: string, payload: unknown, state: string) => Promise<unknown>;
  /** Other service integrations by `service:action` (`sns:publish`): the parameters in, the result out. */
  services?: Record<string, (parameters: unknown, state: string) => Promise<unknown>>;
  /** A guard against a loop that never ends (Step Functions stops at 25,000 history events). Default 1,000 states. */
  maxStates?: number;
}

export interface Retried {
  state: string;
  error: string;
  attempt: number;
  /** What Step Functions would have waited: IntervalSeconds · BackoffRate^(attempt-1), capped (the jitter's bound). */
  seconds: number;
}

export interface ExecutionResult {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
  /** Every state entered, in order (a retried Task once per attempt). */
  path: string[];
  retries: Retried[];
  /** Waits skipped (Wait states), in seconds. */
  waited: { state: string; seconds: number }[];
  caught: { state: string; error: string; next: string }[];
}

/** Checks a definition with asl-validator (its JSON schema and its transition checks); every problem is listed. */
export function validateDefinition(definition: unknown): void {
  // asl-validator writes a default QueryLanguage into what it is given: it gets a copy.
  const result = aslValidator(structuredClone(definition) as object);
  if (!result.isValid) throw new Error(`the state machine definition is not valid ASL:\n${result.errorsText('\n')}`);
}

/** Runs an execution of `definition` on `input` to its end. */
export async function startExecution(
  definition: MachineDefinition,
  input: unknown,
  options: ExecutionOptions,
): Promise<ExecutionResult> {
  validateDefinition(definition);
  const name = options.name ?? randomUUID();
  const run = new Execution(options, {
    Execution: {
      Id: `arn:aws:states:local:000000000000:execution:rehearsal:${name}`,
      Name: name,
      Input: input,
      StartTime: new Date().toISOString(),
    },
    StateMachine: { Id: 'arn:aws:states:local:000000000000:stateMachine:rehearsal', Name: 'rehearsal' },
  });
  const result: ExecutionResult = {
    status: 'SUCCEEDED',
    path: run.path,
    retries: run.retries,
    waited: run.waited,
    caught: run.caught,
  };
  try {
    result.output = await run.machine(definition, input);
  } catch (error) {
    const failure = asFailure(error);
    Object.assign(result, { status: 'FAILED', error: failure.error, cause: failure.cause });
  }
  return result;
}

/** A failure that ends the machine it happens in: a Fail state, or an error no Catch takes. */
class MachineFailed extends Error {
  constructor(readonly failure: Failure) {
    super(`${failure.error}: ${failure.cause}`);
  }
}

/** Any thrown value as Step Functions names it: a Lambda error by its name, with its payload as the cause. */
export function asFailure(error: unknown): Failure {
  if (error instanceof MachineFailed) return error.failure;
  if (error instanceof StatesError) return { error: error.error, cause: error.cause };
  const e = error instanceof Error ? error : new Error(String(error));
  const payload = { errorType: e.name, errorMessage: e.message, trace: (e.stack ?? '').split('\n') };
  return { error: e.name, cause: JSON.stringify(payload) };
}

/**
 * Whether a Retrier's or Catcher's ErrorEquals takes an error. States.ALL takes every error but
 * States.Runtime; States.TaskFailed every error but States.Timeout and States.Runtime.
 */
export function errorMatches(errorEquals: string[], error: string): boolean {
  if (error === 'States.Runtime') return errorEquals.includes('States.Runtime');
  return errorEquals.some(
    (e) => e === error || e === 'States.ALL' || (e === 'States.TaskFailed' && error !== 'States.Timeout'),
  );
}

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
}

interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

class Execution {
  readonly path: string[] = [];
  readonly retries: Retried[] = [];
  readonly waited: { state: string; seconds: number }[] = [];
  readonly caught: { state: string; error: string; next: string }[] = [];
  private entered = 0;

  constructor(
    private readonly options: ExecutionOptions,
    private readonly context: Record<string, unknown>,
  ) {}

  /** Runs a (sub-)machine from StartAt to a Succeed, a Fail or an End. */
  async machine(definition: MachineDefinition, input: unknown, extra: Record<string, unknown> = {}): Promise<unknown> {
    let name: string | undefined = definition.StartAt;
    let data = input;
    while (name !== undefined) {
      const state = definition.States[name];
      if (!state) throw new StatesError('States.Runtime', `no state named ${name}`);
      this.entered += 1;
      if (this.entered > (this.options.maxStates ?? 1000)) {
        throw new StatesError('States.Runtime', `more than ${this.options.maxStates ?? 1000} states entered: a loop?`);
      }
      const step = await this.state(name, state, data, extra);
      data = step.output;
      name = step.next;
    }
    return data;
  }

  private contextFor(name: string, retryCount: number, extra: Record<string, unknown>) {
    return {
      ...this.context,
      ...extra,
      State: { Name: name, EnteredTime: new Date().toISOString(), RetryCount: retryCount },
    };
  }

  private async state(name: string, state: StateDefinition, input: unknown, extra: Record<string, unknown>) {
    const next = state.End ? undefined : state.Next;
    const ctx = this.contextFor(name, 0, extra);
    const effective = (data: unknown) =>
      state.InputPath === null
        ? {}
        : state.InputPath
          ? read(data, ctx, state.InputPath as string, `${name}.InputPath`)
          : data;
    const out = (data: unknown) =>
      state.OutputPath === null
        ? {}
        : state.OutputPath
          ? read(data, ctx, state.OutputPath as string, `${name}.OutputPath`)
          : data;
    switch (state.Type) {
      case 'Pass': {
        this.path.push(name);
        const parameters = this.parameters(state, effective(input), ctx, name);
        const result = 'Result' in state ? state.Result : parameters;
        return { output: out(place(input, result, state.ResultPath as string | null | undefined)), next };
      }
      case 'Choice': {
        this.path.push(name);
        const data = effective(input);
        const choice = (state.Choices as (ChoiceRule & { Next: string })[]).find((rule) =>
          evaluateRule(rule, data, ctx),
        );
        const target = choice?.Next ?? (state.Default as string | undefined);
        if (!target)
          throw new MachineFailed({
            error: 'States.NoChoiceMatched',
            cause: `no choice rule of ${name} matched, and it has no Default`,
          });
        return { output: out(data), next: target };
      }
      case 'Succeed':
        this.path.push(name);
        return { output: out(effective(input)), next: undefined };
      case 'Fail': {
        this.path.push(name);
        const error = state.ErrorPath
          ? String(read(input, ctx, state.ErrorPath as string, name))
          : ((state.Error as string) ?? '');
        const cause = state.CausePath
          ? String(read(input, ctx, state.CausePath as string, name))
          : ((state.Cause as string) ?? '');
        throw new MachineFailed({ error, cause });
      }
      case 'Wait': {
        this.path.push(name);
        const data = effective(input);
        const seconds =
          state.Seconds ?? (state.SecondsPath ? read(data, ctx, state.SecondsPath as string, name) : undefined);
        const until =
          state.Timestamp ?? (state.TimestampPath ? read(data, ctx, state.TimestampPath as string, name) : undefined);
        const skipped =
          typeof seconds === 'number' ? seconds : Math.max(0, (Date.parse(String(until)) - Date.now()) / 1000);
        this.waited.push({ state: name, seconds: skipped });
        return { output: out(data), next };
      }
      case 'Task':
      case 'Map':
      case 'Parallel':
        return this.withErrorHandling(name, state, input, extra, effective, out, next);
      default:
        throw new StatesError('States.Runtime', `${name}: state type ${state.Type} is not one this interpreter runs`);
    }
  }

  /** Task, Map and Parallel: the work, retried and caught as the state's Retry and Catch say. */
  private async withErrorHandling(
    name: string,
    state: StateDefinition,
    input: unknown,
    extra: Record<string, unknown>,
    effective: (data: unknown) => unknown,
    out: (data: unknown) => unknown,
    next: string | undefined,
  ) {
    const attempts = new Map<Retrier, number>();
    for (let retryCount = 0; ; retryCount += 1) {
      this.path.push(name);
      const ctx = this.contextFor(name, retryCount, extra);
      try {
        const parameters = this.parameters(state, effective(input), ctx, name);
        const raw = await this.work(name, state, parameters, extra);
        const selected = state.ResultSelector
          ? template(state.ResultSelector, raw, ctx, `${name}.ResultSelector`)
          : raw;
        return { output: out(place(input, selected, state.ResultPath as string | null | undefined)), next };
      } catch (error) {
        const failure = asFailure(error);
        const retrier = ((state.Retry ?? []) as Retrier[]).find((r) => errorMatches(r.ErrorEquals, failure.error));
        const made = retrier ? (attempts.get(retrier) ?? 0) : 0;
        if (retrier && made < (retrier.MaxAttempts ?? 3)) {
          attempts.set(retrier, made + 1);
          const seconds = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** made;
          this.retries.push({
            state: name,
            error: failure.error,
            attempt: made + 1,
            seconds: Math.min(seconds, retrier.MaxDelaySeconds ?? Infinity),
          });
          continue;
        }
        const catcher = ((state.Catch ?? []) as Catcher[]).find((c) => errorMatches(c.ErrorEquals, failure.error));
        if (!catcher) throw new MachineFailed(failure);
        this.caught.push({ state: name, error: failure.error, next: catcher.Next });
        const resultPath = 'ResultPath' in catcher ? catcher.ResultPath : '$';
        return { output: place(input, { Error: failure.error, Cause: failure.cause }, resultPath), next: catcher.Next };
      }
    }
  }

  private parameters(state: StateDefinition, data: unknown, ctx: unknown, name: string): unknown {
    const fields = state.Type === 'Map' ? undefined : state.Parameters;
    return fields === undefined ? data : template(fields, data, ctx, `${name}.Parameters`);
  }

  private async work(
    name: string,
    state: StateDefinition,
    input: unknown,
    extra: Record<string, unknown>,
  ): Promise<unknown> {
    if (state.Type === 'Map') {
      const items = state.ItemsPath ? read(input, this.context, state.ItemsPath as string, `${name}.ItemsPath`) : input;
      if (!Array.isArray(items)) throw new StatesError('States.Runtime', `${name}: the items are not an array`);
      const processor = (state.ItemProcessor ?? state.Iterator) as MachineDefinition;
      const selector = state.ItemSelector ?? state.Parameters;
      const results = [];
      for (const [index, value] of items.entries()) {
        const map = { Map: { Item: { Index: index, Value: value } } };
        const item = selector ? template(selector, input, { ...this.context, ...map }, `${name}.ItemSelector`) : value;
        results.push(await this.machine(processor, item, { ...extra, ...map }));
      }
      return results;
    }
    if (state.Type === 'Parallel') {
      const results = [];
      for (const branch of state.Branches as MachineDefinition[])
        results.push(await this.machine(branch, input, extra));
      return results;
    }
    return this.task(name, state, input);
  }

  /** A Task's resource: a Lambda ARN, the optimised lambda:invoke, or a service integration. */
  private async task(name: string, state: StateDefinition, input: unknown): Promise<unknown> {
    const resource = String(state.Resource);
    const timeout = state.TimeoutSeconds as number | undefined;
    const integration = /^arn:[^:]+:states:::([^:]+):([^.]+)(\..+)?$/.exec(resource);
    let work: Promise<unknown>;
    if (integration?.[1] === 'lambda' && integration[2] === 'invoke') {
      if (!isObject(input) || typeof input.FunctionName !== 'string') {
        throw new StatesError('States.Runtime', `${name}: lambda:invoke takes Parameters with a FunctionName`);
      }
      const arn = input.FunctionName;
      work = this.options.invokeLambda(arn, input.Payload ?? null, name).then((payload) => ({
        ExecutedVersion: '$LATEST',
        Payload: payload ?? null,
        StatusCode: 200,
        SdkHttpMetadata: { HttpStatusCode: 200 },
        SdkResponseMetadata: { RequestId: randomUUID() },
      }));
    } else if (integration) {
      const service = this.options.services?.[`${integration[1]}:${integration[2]}`];
      if (!service)
        throw new StatesError('States.Runtime', `${name}: no stand-in for ${integration[1]}:${integration[2]}`);
      work = service(input, name);
    } else if (/^arn:[^:]+:lambda:/.test(resource)) {
      work = this.options.invokeLambda(resource, input, name).then((payload) => payload ?? null);
    } else {
      throw new StatesError('States.Runtime', `${name}: resource ${resource} is not one this interpreter runs`);
    }
    if (timeout === undefined) return work;
    // TimeoutSeconds: the task fails with States.Timeout; the work itself is not stopped (in AWS
    // the Lambda would run on to its own timeout too).
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StatesError('States.Timeout', `${name} ran longer than ${timeout} s`)),
        timeout * 1000,
      );
    });
    try {
      return await Promise.race([work, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
