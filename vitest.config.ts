import { defineConfig } from 'vitest/config';

// Tests import workspace packages from their TypeScript sources (the "source" export condition),
// so `npm test` needs no build step and always tests the code as it is.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    include: ['{packages,ml,apps,infra,scripts}/**/*.test.{ts,tsx}'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
