// One lint config. The import rules write down the architecture (STYLE.md, principle 3):
// the core is pure, stages and adapters never import each other, only the CLI and the
// handlers wire adapters into stages, and nothing a Lambda runs reaches DuckDB.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ['error', { patterns }];
const adapters = { group: ['**/adapters/**'], message: 'Only functions/cli and functions/handlers wire adapters.' };
const stages = { group: ['**/stages/**'], message: 'The core and the adapters do not import stages.' };
const duckdb = { group: ['@duckdb/*'], message: 'DuckDB stays in adapters/local: no Lambda may ship it.' };
const io = {
  group: ['node:fs', 'node:fs/*', 'node:net', 'node:http', 'node:https', '@aws-sdk/*'],
  message: 'The core is pure: no I/O.',
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'pulse-demo/**', '.tmp/**', '.bench/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.object.name=/^(it|describe|test)$/][callee.property.name=/^(only|skip)$/]',
          message: 'No focused or skipped tests on main.',
        },
      ],
    },
  },
  {
    files: ['functions/kpis/**', 'functions/model/**', 'functions/report/**'],
    rules: { 'no-restricted-imports': restrict([adapters, stages, duckdb, io]) },
  },
  {
    files: ['functions/stages/**', 'functions/sources/**', 'functions/ports/**', 'functions/dialect/**'],
    rules: { 'no-restricted-imports': restrict([adapters, duckdb]) },
  },
  { files: ['functions/adapters/**'], rules: { 'no-restricted-imports': restrict([stages]) } },
  {
    files: ['functions/adapters/aws/**', 'functions/handlers/**', 'infra/**'],
    rules: {
      'no-restricted-imports': restrict([
        duckdb,
        { group: ['**/adapters/local/**'], message: 'Lambdas use the AWS adapters.' },
      ]),
    },
  },
);
