import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources in tests (the "source" export condition),
// so `npm test` needs no build step.
export default defineConfig({
  resolve: { conditions: ['source'] },
  test: {
    include: ['*/test/**/*.test.ts', 'dashboards/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The JSON summary lets CI print a plain "N passed, N failed" line.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
