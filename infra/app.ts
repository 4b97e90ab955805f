import { createStrataApp, formatNagViolations, nagReport } from './strata-app.js';

// STRATA_SKIP_BUNDLING=1 synthesizes without esbuild (seconds instead of a bundle per function).
const { app } = createStrataApp({ bundle: process.env.STRATA_SKIP_BUNDLING !== '1' });
const report = nagReport(app);
if (!report.success) {
  // Fail `cdk synth`/`cdk deploy` on any unacknowledged AwsSolutions finding.
  process.stderr.write(`cdk-nag AwsSolutions findings:\n${formatNagViolations(report)}\n`);
  process.exit(1);
}
app.synth();
