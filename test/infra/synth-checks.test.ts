import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/config/load.ts';
import { configSchema } from '../../functions/config/schema.ts';
import { ConfigError } from '../../functions/errors.ts';
import { buildPulse } from '../../infra/pulseApp.ts';

/**
 * Synth refuses a config that cannot run deployed, naming every problem at once (file and key),
 * before it builds anything; the example config cdk.json names passes.
 */
const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-synth-checks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const unusable = {
  lake: 's3://unused',
  timezone: 'Europe/Helsinki',
  mail: { transport: 'outbox' },
  audiences: [],
  sources: [
    {
      name: 'zd',
      type: 'zendesk',
      baseUrl: 'https://acme.zendesk.com',
      credentials: {
        email: 'env:ZD_EMAIL',
        token: 'arn:aws:secretsmanager:eu-north-1:123456789012:secret:zd-AbCdEf#token',
      },
    },
  ],
};
const problems = [
  'bad.json: mail.transport: a deployed Pulse sends through SES ("transport": "ses"), not outbox',
  'bad.json: owners: none named: a deployed Pulse alerts its owners when a run fails and subscribes them to the alarms; name at least one address',
  'bad.json: audiences: none: a deployed run would render and send nothing',
  "bad.json: sources[0].credentials.email: env:ZD_EMAIL is read from the CLI's environment, which a deployed Lambda does not have: use a Secrets Manager ARN",
];

describe('synth-time checks of the deployed config', () => {
  it('refuses an unusable config with every problem at once, building nothing', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    let error: unknown;
    try {
      buildPulse(app, configSchema.parse(unusable), 'bad.json');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(problems);
    expect(app.node.children).toHaveLength(0);
  });

  it('names one problem alone when there is one', () => {
    const config = configSchema.parse({
      ...unusable,
      mail: { transport: 'ses', from: 'pulse@example.com' },
      owners: ['ops@example.com'],
      audiences: [{ name: 'executive', report: 'executive', recipients: ['ceo@example.com'] }],
    });
    expect(() => buildPulse(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), config, 'bad.json')).toThrow(
      new ConfigError([problems[3]!]),
    );
  });

  it('builds the pipeline from the example config cdk.json names', async () => {
    const { config } = await loadConfig(path.join(root, 'infra/example.pulse.config.json'));
    const { pipeline } = buildPulse(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), config);
    expect(pipeline).toBeDefined();
  });

  it('makes the CDK app itself exit with the list, before any bundling', async () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(unusable));
    const context = JSON.stringify({ 'pulse:config': file, 'aws:cdk:bundling-stacks': [] });
    const run = promisify(execFile)('npx', ['tsx', 'infra/app.ts'], {
      cwd: root,
      env: { ...process.env, CDK_CONTEXT_JSON: context, CDK_OUTDIR: path.join(dir, 'out') },
      timeout: 60_000,
    });
    const failure = await run.then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(failure?.code).not.toBe(0);
    for (const problem of problems) expect(failure?.stderr).toContain(problem.replace('bad.json', file));
  }, 70_000);
});
