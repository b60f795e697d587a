import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // dt-sql-parser uses directory imports plain Node ESM cannot load; let vite bundle it.
    server: { deps: { inline: ['dt-sql-parser'] } },
  },
});
