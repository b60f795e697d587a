import { existsSync } from 'node:fs';
import type { App } from 'aws-cdk-lib';
import { loadConfig } from '../functions/config/load.ts';
import type { PulseConfig } from '../functions/config/schema.ts';
import { PulseLakeStack } from './lakeStack.ts';

/** Every stack of the app; the CDK entry point (app.ts) and the tests (cdk-nag) build the same. */
export function buildPulse(app: App, athena?: PulseConfig['athena']): { lake: PulseLakeStack } {
  const lake = new PulseLakeStack(app, 'Pulse', {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    athena,
  });
  return { lake };
}

/**
 * The `athena` key of the config the context names (cdk.json: `pulse:config`), validated like
 * the CLI validates it; absent file: the defaults (workgroup and database 'pulse').
 */
export async function athenaConfig(app: App): Promise<PulseConfig['athena'] | undefined> {
  const file = app.node.tryGetContext('pulse:config') as string | undefined;
  if (!file || !existsSync(file)) return undefined;
  return (await loadConfig(file)).config.athena;
}
