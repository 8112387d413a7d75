import { defineConfig } from 'vitest/config'

// Tests run against the TypeScript sources of sibling packages (the "@elicence/source"
// export condition), so a stale dist/ can never make a test pass or fail.
export default defineConfig({
  resolve: { conditions: ['@elicence/source'] },
  ssr: { resolve: { conditions: ['@elicence/source'] } },
  test: {
    include: ['packages/**/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
