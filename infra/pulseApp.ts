import { existsSync } from 'node:fs';
import type { App } from 'aws-cdk-lib';
import { loadConfig } from '../functions/config/load.ts';
import { deployedConfigProblems } from '../functions/config/deployed.ts';
import type { PulseConfig } from '../functions/config/schema.ts';
import { ConfigError } from '../functions/errors.ts';
import { PulseLakeStack } from './lakeStack.ts';
import { PulsePipeline } from './pipeline.ts';

/**
 * Every stack of the app; the CDK entry point (app.ts) and the tests (cdk-nag) build the same.
 * With a config, the pipeline (Lambdas, state machine, schedule, alarms) is built on the lake;
 * without one, the lake alone. A config that cannot run deployed (functions/config/deployed.ts)
 * is refused before anything is built, with every problem at once (a ConfigError); `file` names
 * it in each.
 */
export function buildPulse(
  app: App,
  config?: PulseConfig,
  file = 'pulse.config.json',
): { lake: PulseLakeStack; pipeline?: PulsePipeline } {
  const problems = config ? deployedConfigProblems(config, file) : [];
  if (problems.length > 0) throw new ConfigError(problems);
  const lake = new PulseLakeStack(app, 'Pulse', {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    athena: config?.athena,
  });
  if (!config) return { lake };
  const pipeline = new PulsePipeline(lake, 'Pipeline', {
    config,
    lake: lake.lake,
    key: lake.key,
    workGroupName: lake.athena.workGroup.name,
    results: lake.athena.results,
    databaseName: lake.databaseName,
  });
  return { lake, pipeline };
}

/**
 * The config the context names (cdk.json: `pulse:config`), validated like the CLI validates it;
 * absent file: none (the lake stack alone).
 */
export async function pulseConfig(app: App): Promise<{ config: PulseConfig; file: string } | undefined> {
  const file = app.node.tryGetContext('pulse:config') as string | undefined;
  if (!file || !existsSync(file)) return undefined;
  return { config: (await loadConfig(file)).config, file };
}
