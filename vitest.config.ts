import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      {test: {name: 'unit', include: ['test/unit/**/*.test.ts'], setupFiles: ['test/support/probe-kinds.ts']}},
      {
        // Output checked in real outside tools: headless Chromium (HTML, PDF), xmllint (JUnit schema), sha256sum/openssl/jq (VERIFY.md).
        // No Docker; scripts/setup.sh installs the tools, and a missing one fails the test with how to get it.
        test: {name: 'tools', include: ['test/tools/**/*.test.ts'], testTimeout: 60_000, setupFiles: ['test/support/probe-kinds.ts']},
      },
      {
        // Spawn the built CLI (bin/run.js): exit codes and stdout exactly as users see them. No Docker needed.
        test: {name: 'commands', include: ['test/commands/**/*.test.ts'], testTimeout: 30_000, setupFiles: ['test/support/probe-kinds.ts']},
      },
      {
        // The real Docker engine. Fails (never skips) when it is missing; asserts nothing is left behind.
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          setupFiles: ['test/support/probe-kinds.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        // Sites on separate hosts: three Docker engines run as containers of the host engine (test/support/engines.ts),
        // joined in a swarm. Same rules as integration; scripts/test.sh runs it beside the integration project, each
        // layer checking what it left on the host engine (test/support/host-check.ts).
        test: {
          name: 'multi-engine',
          include: ['test/multi-engine/**/*.test.ts'],
          globalSetup: ['test/multi-engine/global-setup.ts'],
          setupFiles: ['test/support/probe-kinds.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
