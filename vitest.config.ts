import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The machine runs Node 20; Lambda runs 22. The SDK's reminder of that is noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // Synthesizes the CDK app (no bundling) and runs cdk-nag: no server needed.
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Against the local cloud (MinIO, DynamoDB Local, LocalStack, lambda host): started once for the
        // whole run by the global setup, or reused when `npm start` is running.
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['./test/support/local-cloud.setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Kills and restarts the local cloud's servers while work is in flight, so it starts a cloud of its
        // own (persistent data, free ports) in the test file instead of sharing the integration one.
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
        },
      },
      {
        // Renders the HTML reports in headless Chromium (Debian's package; the global setup installs it
        // on a machine that lacks it).
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['./test/browser/chromium.setup.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
