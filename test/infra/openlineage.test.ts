import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ENTRY_METADATA_KEY } from '../../infra/constructs/strata-function.js';
import { StrataStack } from '../../infra/stack.js';
import { createStrataApp } from '../../infra/strata-app.js';
import { actionsOf, entriesGranted } from './policies.js';

// The stages where runs start and end, ApiRuns (its GET /runs/{id} ends a run its execution left RUNNING),
// and the sweeper that ends (FAIL) a run whose execution died before restarting its file.
const EMITTERS = ['api-runs', 'fresh-sweeper', 'quarantine', 'register', 'version'].map(
  (name) => `functions/${name}/handler.ts`,
);

interface FunctionResource {
  Properties: {
    Environment?: { Variables?: Record<string, string> };
  };
  Metadata?: Record<string, string>;
}

function functionsOf(template: Template): FunctionResource[] {
  return Object.values(template.findResources('AWS::Lambda::Function')) as FunctionResource[];
}

describe('OpenLineage emission in the stack', () => {
  it('lets only the functions that start or end runs write lineage/, and sets no endpoint by default', () => {
    // Prepare
    const { stack } = createStrataApp({ bundle: false, outdir: mkdtempSync(join(tmpdir(), 'strata-cdk-')) });
    const template = Template.fromStack(stack);

    // Act
    const writers = entriesGranted(
      template,
      (s) => actionsOf(s).includes('s3:PutObject') && JSON.stringify(s.Resource).includes('/lineage/*'),
    );

    // Assess
    expect(writers).toEqual(EMITTERS);
    for (const fn of functionsOf(template)) {
      expect(fn.Properties.Environment?.Variables?.OPENLINEAGE_URL).toBeUndefined();
    }
  });

  it('hands those functions the OpenLineage endpoint given as context strata:openLineageUrl', () => {
    // Prepare
    const app = new App({
      outdir: mkdtempSync(join(tmpdir(), 'strata-cdk-')),
      postCliContext: { 'aws:cdk:bundling-stacks': [] },
      context: { 'strata:openLineageUrl': 'http://marquez.internal:5000' },
    });

    // Act
    const template = Template.fromStack(new StrataStack(app, 'Strata'));

    // Assess
    const withUrl = functionsOf(template)
      .filter(
        (fn) => fn.Properties.Environment?.Variables?.OPENLINEAGE_URL === 'http://marquez.internal:5000',
      )
      .map((fn) => fn.Metadata?.[ENTRY_METADATA_KEY]);
    expect(withUrl.sort()).toEqual(EMITTERS);
  });
});
