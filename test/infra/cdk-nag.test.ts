import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../functions/config/schema.ts';
import { buildPulse } from '../../infra/pulseApp.ts';

/** Every acknowledgement recorded in the tree: the rule, the reason and where. */
function acknowledgements(root: IConstruct): { path: string; rule: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([rule, reason]) => ({
          path: c.node.path,
          rule,
          reason,
        })),
      ),
  );
}

/** A reason names this case: long enough to say why, and not a placeholder. */
const isSpecific = (reason: string) =>
  reason.trim().length >= 30 && !/^(n\/a|todo|tbd|not needed|ok|suppressed|ignore)\b/i.test(reason.trim());

/** A deployable config: the pipeline is built on the lake (bundling skipped: same template, no esbuild). */
const config = configSchema.parse({
  lake: 's3://unused',
  owners: ['ops@example.com'],
  mail: { transport: 'ses', from: 'pulse@example.com' },
  sources: [
    {
      name: 'zd',
      type: 'zendesk',
      baseUrl: 'https://acme.zendesk.com',
      credentials: {
        email: 'arn:aws:secretsmanager:eu-north-1:123456789012:secret:zd-AbCdEf#email',
        token: 'arn:aws:secretsmanager:eu-north-1:123456789012:secret:zd-AbCdEf#token',
      },
    },
  ],
});
const pipelineApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the lake and the pipeline, and their synth (with the pack as a validation plugin) passes', () => {
    const app = pipelineApp();
    const { pipeline } = buildPulse(app, config);
    expect(pipeline).toBeDefined();
    const pack = new AwsSolutionsChecks(app);
    const report = pack.validateScope(app);
    expect(
      report.violations.map(
        (v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}: ${v.description}`,
      ),
    ).toEqual([]);
    Validations.of(app).addPlugins(pack);
    expect(() => app.synth()).not.toThrow();
  });

  it('finds nothing unacknowledged in the lake stack alone (no config)', () => {
    const app = new App();
    buildPulse(app);
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([]);
  });

  it('gives every acknowledgement in the app a specific reason', () => {
    const app = pipelineApp();
    buildPulse(app, config);
    expect(acknowledgements(app).length).toBeGreaterThan(0);
    for (const ack of acknowledgements(app))
      expect(isSpecific(ack.reason), `${ack.path} ${ack.rule}: "${ack.reason}"`).toBe(true);
  });

  it('fails the synth on a finding, and an acknowledgement with its reason clears it (the check is live)', () => {
    const app = new App();
    const { lake } = buildPulse(app);
    const stray = new s3.Bucket(lake, 'Stray');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);

    const fixed = new App();
    const stack = new Stack(fixed, 'Fixed');
    const bucket = new s3.Bucket(stack, 'Stray', { enforceSSL: true });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'a test fixture bucket, never deployed, holding no data',
    });
    const pack = new AwsSolutionsChecks(fixed);
    expect(pack.validateScope(fixed).violations).toEqual([]);
    expect(acknowledgements(fixed)).toEqual([
      {
        path: 'Fixed/Stray',
        rule: expect.stringContaining('AwsSolutions-S1'),
        reason: 'a test fixture bucket, never deployed, holding no data',
      },
    ]);
    expect(stray.node.path).toBe('Pulse/Stray');
  });
});
