import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cruise, type IConfiguration, type IViolation } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The import rules hold on resolved paths, through any chain of imports: a handler that reaches
 * DuckDB through the CLI's wiring fails them, though it never names @duckdb itself.
 */
const root = path.resolve(import.meta.dirname, '../..');
const probe = path.join(root, '.tmp/import-rules-probe/functions/handlers');
const config = createRequire(import.meta.url)(path.join(root, '.dependency-cruiser.cjs')) as IConfiguration;

async function violations(paths: string[]): Promise<IViolation[]> {
  const result = await cruise(
    paths,
    { ...config.options, ruleSet: { forbidden: config.forbidden ?? [] }, validate: true, baseDir: root },
    undefined,
    {
      tsConfig: { fileName: path.join(root, 'tsconfig.json') },
    } as never,
  );
  if (typeof result.output === 'string') throw new Error(result.output);
  return result.output.summary.violations;
}

afterAll(() => rmSync(path.dirname(path.dirname(probe)), { recursive: true, force: true }));

describe('import rules', () => {
  it('hold on the code as it is', async () => {
    expect((await violations(['functions', 'infra'])).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  });

  it('fail a handler that reaches DuckDB and the local adapters through another module', async () => {
    mkdirSync(probe, { recursive: true });
    writeFileSync(
      path.join(probe, 'probe.ts'),
      "import { createLocalContext } from '../../../../functions/cli/wiring.ts';\nexport const probe = createLocalContext;\n",
    );
    const found = await violations([path.relative(root, probe)]);
    const rules = new Set(found.map((v) => v.rule.name));
    expect(rules).toEqual(new Set(['no-duckdb-in-lambdas', 'lambdas-use-aws-adapters']));
    expect(found.find((v) => v.rule.name === 'no-duckdb-in-lambdas')?.to).toMatch(/node_modules\/@duckdb\//);
  });

  it('fail the core importing a stage', async () => {
    const core = path.join(root, '.tmp/import-rules-probe/functions/report');
    mkdirSync(core, { recursive: true });
    writeFileSync(
      path.join(core, 'probe.ts'),
      "import { render } from '../../../../functions/stages/render.ts';\nexport const probe = render;\n",
    );
    const found = await violations([path.relative(root, core)]);
    expect(found.map((v) => v.rule.name)).toContain('core-is-pure');
  });
});
