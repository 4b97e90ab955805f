import { App, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { StrataStack } from './stack.js';

export const STACK_ID = 'Strata';

export interface StrataAppOptions {
  /**
   * Bundle the Lambda code with esbuild. Off for the template tests and the local cloud, which run
   * handlers from source; on for `cdk synth`/`cdk deploy`.
   */
  bundle?: boolean;
  outdir?: string;
  /**
   * CDK's built-in CloudFormation validation of the synthesized template (a WebAssembly engine, ~3 s of
   * every synth). On by default; the local cloud turns it off to start fast, since `cdk synth` and the
   * template tests validate the same template.
   */
  validation?: boolean;
}

/** The one app definition, used by `cdk` (infra/app.ts), the infra tests and the local deploy. */
export function createStrataApp(options: StrataAppOptions = {}) {
  const app = new App({
    ...(options.outdir && { outdir: options.outdir }),
    ...(options.bundle === false && { postCliContext: { 'aws:cdk:bundling-stacks': [] } }),
    ...(options.validation === false && { builtinCloudFormationValidation: false, treeMetadata: false }),
  });
  const stack = new StrataStack(app, STACK_ID, {
    description: 'strata: serverless ML data management',
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  return { app, stack };
}

/**
 * cdk-nag AwsSolutions over the construct tree. Acknowledgments (`Validations.of(x).acknowledge`) are
 * honoured per finding id. Run explicitly: this CDK version does not hand nag packs the construct tree
 * through the validation-plugin hook, so registering the pack as a plugin would check nothing.
 */
export function nagReport(scope: IConstruct): PolicyValidationPluginReport {
  return new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(scope);
}

export function formatNagViolations(report: PolicyValidationPluginReport): string {
  return report.violations
    .map(
      (v) =>
        `${v.ruleName}: ${v.description}\n  ${v.violatingResources.map((r) => r.constructPath).join('\n  ')}`,
    )
    .join('\n');
}
