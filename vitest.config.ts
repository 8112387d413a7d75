import { configDefaults, defineConfig } from 'vitest/config'

// PostgreSQL integration tests run in their own project, whose global setup starts one server for
// them; vitest calls a project's global setup only when one of its files is queued.
const postgresIntegrationTests = [
  'packages/adapters/postgres/src/**/*.int.test.ts',
  // Tests of other packages (the CLI's processes) on the same server.
  'packages/**/src/**/*.postgres.int.test.ts',
]

// Tests run against the TypeScript sources of sibling packages (the "@elicence/source"
// export condition), so a stale dist/ can never make a test pass or fail.
export default defineConfig({
  resolve: { conditions: ['@elicence/source'] },
  ssr: { resolve: { conditions: ['@elicence/source'] } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // A project that extends the root appends to the root's arrays, so `include` lives in each project.
    projects: [
      {
        extends: true,
        test: {
          name: 'elicence',
          include: ['packages/**/src/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...postgresIntegrationTests],
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: postgresIntegrationTests,
          globalSetup: ['packages/adapters/postgres/src/testing/global-setup.ts'],
        },
      },
    ],
  },
})
