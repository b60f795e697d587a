// The architecture as import rules on resolved paths (STYLE.md, principle 3): a rule holds
// through any chain of imports, not only on the text of one import statement. `npm run lint`
// runs it; test/unit/import-rules.test.ts proves a forbidden chain fails it.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-duckdb-in-lambdas',
      comment: 'A Lambda must not ship DuckDB: nothing a handler, an AWS adapter or the CDK app reaches, however indirectly, may load @duckdb.',
      severity: 'error',
      from: { path: '(^|/)(functions/(handlers|adapters/aws)|infra)/' },
      to: { path: 'node_modules/@duckdb/', reachable: true },
    },
    {
      name: 'lambdas-use-aws-adapters',
      comment: 'Handlers and AWS adapters never reach the local adapters (folder, DuckDB, outbox, SMTP).',
      severity: 'error',
      from: { path: '(^|/)functions/(handlers|adapters/aws)/' },
      to: { path: '(^|/)functions/adapters/local/', reachable: true },
    },
    {
      name: 'core-is-pure',
      comment: 'The model, the KPI rules and the report renderers import no stage, adapter, CLI or handler.',
      severity: 'error',
      from: { path: '(^|/)functions/(kpis|model|report)/' },
      to: { path: '(^|/)functions/(stages|adapters|cli|handlers)/' },
    },
    {
      name: 'stages-never-import-adapters',
      comment: 'Stages, sources, ports and the dialect take their adapters as arguments; only the CLI and the handlers wire them.',
      severity: 'error',
      from: { path: '(^|/)functions/(stages|sources|ports|dialect|config)/' },
      to: { path: '(^|/)functions/adapters/' },
    },
    {
      name: 'adapters-never-import-stages',
      severity: 'error',
      from: { path: '(^|/)functions/adapters/' },
      to: { path: '(^|/)functions/(stages|cli|handlers)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
  },
};
