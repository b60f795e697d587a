import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { PulseConfig } from '../../../functions/config/schema.ts';
import type { StageName } from '../../../functions/stages/list.ts';
import { buildPulse } from '../../../infra/pulseApp.ts';
import type { MachineDefinition } from './interpreter.ts';

/**
 * The state machine and the stage Lambdas exactly as the stack synthesizes them for a config
 * (infra/pulseApp.ts, bundling skipped: the template is the same), with CloudFormation's
 * tokens resolved to local values: each Lambda's ARN names its logical id.
 */
export const localAccount = '000000000000';
export const localRegion = 'us-east-1';
export const lambdaArn = (logicalId: string) => `arn:aws:lambda:${localRegion}:${localAccount}:function:${logicalId}`;

export interface SynthesizedFunction {
  stage: StageName;
  logicalId: string;
  arn: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** The environment as synthesized, tokens resolved. */
  environment: Record<string, string>;
}

export interface SynthesizedPipeline {
  definition: MachineDefinition;
  /** The monthly starter: works out the period, then starts the pipeline named by it. */
  starter: MachineDefinition;
  functions: SynthesizedFunction[];
  template: Template;
}

/** The local names of the stack's buckets; by default a bucket is named by its logical id, lower-cased. */
export interface LocalNames {
  lakeBucket?: string;
  resultsBucket?: string;
}

/**
 * Tokens resolve to: `Ref` of a pseudo parameter, a bucket (its local name), a workgroup or a
 * Glue database (its name), a topic (an ARN); `Fn::GetAtt` of a Lambda's Arn. Anything else is
 * an error: nothing is guessed.
 */
export function synthesizePipeline(config: PulseConfig, names: LocalNames = {}): SynthesizedPipeline {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const { lake, pipeline } = buildPulse(app, config);
  if (!pipeline) throw new Error('the config built no pipeline');
  const template = Template.fromStack(lake);
  const stack = Stack.of(lake);
  const logicalIdOf = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const named: Record<string, string | undefined> = {
    [logicalIdOf(lake.lake)]: names.lakeBucket,
    [logicalIdOf(lake.athena.results)]: names.resultsBucket,
  };
  const resolveToken = (ref: { logicalId: string; attribute?: string }): string => {
    const resource = template.toJSON().Resources?.[ref.logicalId] as
      { Type: string; Properties: Record<string, unknown> } | undefined;
    if (!ref.attribute && named[ref.logicalId]) return named[ref.logicalId]!;
    if (resource?.Type === 'AWS::Athena::WorkGroup' && !ref.attribute) return resource.Properties.Name as string;
    if (resource?.Type === 'AWS::Glue::Database' && !ref.attribute)
      return (resource.Properties.DatabaseInput as { Name: string }).Name;
    if (ref.logicalId === 'AWS::Partition') return 'aws';
    if (ref.logicalId === 'AWS::Region') return localRegion;
    if (ref.logicalId === 'AWS::AccountId') return localAccount;
    if (ref.logicalId === 'AWS::URLSuffix') return 'amazonaws.com';
    if (resource?.Type === 'AWS::Lambda::Function' && ref.attribute === 'Arn') return lambdaArn(ref.logicalId);
    if (resource?.Type === 'AWS::StepFunctions::StateMachine' && !ref.attribute)
      return `arn:aws:states:${localRegion}:${localAccount}:stateMachine:${ref.logicalId}`;
    if (resource?.Type === 'AWS::SNS::Topic' && !ref.attribute)
      return `arn:aws:sns:${localRegion}:${localAccount}:${ref.logicalId}`;
    // A bucket's name is its logical id, lower-cased, unless the caller names it.
    if (resource?.Type === 'AWS::S3::Bucket' && !ref.attribute) return ref.logicalId.toLowerCase();
    throw new Error(
      `no local value for ${ref.attribute ? `Fn::GetAtt ${ref.logicalId}.${ref.attribute}` : `Ref ${ref.logicalId}`}`,
    );
  };
  // The pipeline's machine, and the monthly starter that names its executions.
  const definitionOf = (machine: sfn.StateMachine): MachineDefinition => {
    const resource = template.toJSON().Resources?.[logicalIdOf(machine)] as
      { Properties: { DefinitionString: unknown } } | undefined;
    if (!resource) throw new Error(`the stack has no state machine ${machine.node.path}`);
    return JSON.parse(resolve(resource.Properties.DefinitionString, resolveToken)) as MachineDefinition;
  };
  const definition = definitionOf(pipeline.stateMachine);
  const starter = definitionOf(pipeline.starter);
  const resources = template.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>;
  const functions = Object.entries(pipeline.functions).map(([stage, fn]) => {
    const logicalId = logicalIdOf(fn);
    const properties = resources[logicalId]!.Properties;
    const variables = (properties.Environment as { Variables: Record<string, unknown> }).Variables;
    return {
      stage: stage as StageName,
      logicalId,
      arn: lambdaArn(logicalId),
      timeoutSeconds: properties.Timeout as number,
      memoryMb: properties.MemorySize as number,
      environment: Object.fromEntries(
        Object.entries(variables).map(([name, value]) => [name, resolve(value, resolveToken)]),
      ),
    };
  });
  return { definition, starter, functions, template };
}

/** A CloudFormation value with its intrinsic functions (Fn::Join, Ref, Fn::GetAtt) worked out to a string. */
export function resolve(value: unknown, token: (ref: { logicalId: string; attribute?: string }) => string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const fields = value as Record<string, unknown>;
  if ('Fn::Join' in fields) {
    const [separator, parts] = fields['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => resolve(part, token)).join(separator);
  }
  if ('Ref' in fields) return token({ logicalId: fields.Ref as string });
  if ('Fn::GetAtt' in fields) {
    const [logicalId, attribute] = fields['Fn::GetAtt'] as [string, string];
    return token({ logicalId, attribute });
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}
