import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENTRY_METADATA_KEY } from '../../infra/constructs/strata-function.js';
import { matchRoute } from '../../infra/local/lambda-host.js';
import { createStrataApp } from '../../infra/strata-app.js';

let definition: { States: Record<string, Record<string, unknown>> };
let template: Template;

beforeAll(() => {
  const { stack } = createStrataApp({ bundle: false, outdir: mkdtempSync(join(tmpdir(), 'strata-cdk-')) });
  template = Template.fromStack(stack);
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const parts: unknown[] = machine?.Properties.DefinitionString['Fn::Join'][1] ?? [];
  definition = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'arn:function')).join(''));
});

describe('pipeline runs in the state machine', () => {
  it('hands every Lambda the state with its execution, stage and attempt', () => {
    // Prepare
    const tasks = Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');

    // Assess
    expect(tasks.map(([name]) => name).sort()).toEqual(
      [
        'Quarantine file',
        ...['register', 'parse', 'validate', 'profile', 'quality', 'drift', 'version'].map(
          (s) => `Stage: ${s}`,
        ),
      ].sort(),
    );
    for (const [name, task] of tasks) {
      const stage = name === 'Quarantine file' ? 'quarantine' : name.slice('Stage: '.length);
      expect(task.Parameters, name).toEqual({
        'state.$': '$',
        run: {
          'id.$': '$$.Execution.Name',
          'arn.$': '$$.Execution.Id',
          'startedAt.$': '$$.Execution.StartTime',
          stage,
          'attempt.$': '$$.State.RetryCount',
          'enteredAt.$': '$$.State.EnteredTime',
        },
      });
    }
  });

  it('lets the retry route start executions and nothing else of the API (besides trigger and sweeper)', () => {
    // Prepare
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const starters = policies.filter((policy) =>
      (policy.Properties.PolicyDocument.Statement as Array<{ Action: unknown }>).some((s) =>
        [s.Action].flat().includes('states:StartExecution'),
      ),
    );

    // Assess: the trigger, the sweeper of lost events and the retry route.
    expect(starters.map((p) => String(p.Properties.PolicyName)).sort()).toEqual([
      expect.stringMatching(/^ApiRetryRun/),
      expect.stringMatching(/^FreshSweeper/),
      expect.stringMatching(/^Trigger/),
    ]);
  });

  it('lets the run route and the sweeper read the ingestion machine’s executions, nothing more of Step Functions', () => {
    // Prepare
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown }>).map(
        (statement) => ({ policy: String(policy.Properties.PolicyName), ...statement }),
      ),
    );
    const [machineId] = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'));
    const getRun = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (fn) => fn.Metadata?.[ENTRY_METADATA_KEY] === 'functions/api-get-run/handler.ts',
    );

    // Act
    const describers = statements.filter((s) => [s.Action].flat().includes('states:DescribeExecution'));
    const ofGetRun = statements.filter(
      (s) => s.policy.startsWith('ApiGetRun') && JSON.stringify(s.Action).includes('states:'),
    );

    // Assess
    // The sweeper too: it retries a file whose execution died unfinished (app/runs.ts restartStalledRun).
    expect(describers.map((s) => s.policy).sort()).toEqual([
      expect.stringMatching(/^ApiGetRun/),
      expect.stringMatching(/^FreshSweeper/),
    ]);
    const ofSweeper = describers.find((s) => s.policy.startsWith('FreshSweeper'));
    expect(ofSweeper?.Action).toBe('states:DescribeExecution');
    expect(JSON.stringify(ofSweeper?.Resource)).toContain(`"Ref":"${machineId}"`);
    expect(ofGetRun).toHaveLength(1);
    expect([ofGetRun[0]?.Action].flat().sort()).toEqual([
      'states:DescribeExecution',
      'states:GetExecutionHistory',
    ]);
    const resource = JSON.stringify(ofGetRun[0]?.Resource);
    expect(resource).toContain(':execution:');
    expect(resource).toContain(`"Ref":"${machineId}"`);
    expect(getRun?.Properties.Environment.Variables.STATE_MACHINE_ARN).toEqual({ Ref: machineId });
  });

  it('routes latest-successful apart from the listing of a dataset’s runs', () => {
    const routes = [
      'GET /datasets/{name}/runs',
      'GET /datasets/{name}/runs/latest-successful',
      'GET /datasets/{name}/versions/{v}',
      'GET /runs/{id}',
      'POST /runs/{id}/retry',
    ].map((routeKey) => ({ routeKey, functionName: routeKey }));
    expect(matchRoute(routes, 'GET', '/datasets/d/runs/latest-successful')?.route.routeKey).toBe(
      'GET /datasets/{name}/runs/latest-successful',
    );
    expect(matchRoute(routes, 'GET', '/datasets/d/runs')?.route.routeKey).toBe('GET /datasets/{name}/runs');
    expect(matchRoute(routes, 'POST', '/runs/ingest-x/retry')?.route.routeKey).toBe('POST /runs/{id}/retry');
  });
});
