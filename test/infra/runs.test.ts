import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENTRY_METADATA_KEY } from '../../infra/constructs/strata-function.js';
import { matchRoute } from '../../infra/local/lambda-host.js';
import { createStrataApp } from '../../infra/strata-app.js';
import { actionsOf, entriesGranted, statementsOf } from './policies.js';

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

    // Assess (a chunk's task runs inside the Distributed Map: the next test)
    expect(tasks.map(([name]) => name).sort()).toEqual(
      [
        'Quarantine file',
        'Stage: validate chunks',
        ...[
          'register',
          'split',
          'parse',
          'settle',
          'merge',
          'validate',
          'profile',
          'quality',
          'drift',
          'version',
        ].map((s) => `Stage: ${s}`),
      ].sort(),
    );
    for (const [name, task] of tasks) {
      const stage =
        name === 'Quarantine file' ? 'quarantine' : name.slice('Stage: '.length).replace(' chunks', '');
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

  it('hands each chunk of a big file its item and the file’s run, recorded as chunk-<index>', () => {
    // Prepare
    const map = definition.States.Chunks as {
      ItemSelector: Record<string, unknown>;
      ItemProcessor: { States: Record<string, Record<string, unknown>> };
    };

    // Assess: the item carries the parent execution (a child execution's own name is not the run's).
    expect(map.ItemSelector).toEqual({
      'object.$': '$.object',
      'file.$': '$.file',
      'chunk.$': '$$.Map.Item.Value',
      'chunkCount.$': '$.split.chunkCount',
      run: {
        'id.$': '$$.Execution.Name',
        'arn.$': '$$.Execution.Id',
        'startedAt.$': '$$.Execution.StartTime',
      },
    });
    expect(map.ItemProcessor.States['Stage: chunk']?.Parameters).toEqual({
      state: {
        'object.$': '$.object',
        'file.$': '$.file',
        'chunk.$': '$.chunk',
        'chunkCount.$': '$.chunkCount',
      },
      run: {
        'id.$': '$.run.id',
        'arn.$': '$.run.arn',
        'startedAt.$': '$.run.startedAt',
        'stage.$': "States.Format('chunk-{}', $.chunk.index)",
        'attempt.$': '$$.State.RetryCount',
        'enteredAt.$': '$$.State.EnteredTime',
      },
    });
  });

  it('lets ApiRuns (serves POST /runs/{id}/retry) start executions and nothing else of the API (besides trigger and sweeper)', () => {
    // Act
    const starters = entriesGranted(template, (s) => actionsOf(s).includes('states:StartExecution'));

    // Assess: the trigger, the sweeper of lost events and the function of the retry route; and the
    // machine's own role, whose Distributed Map starts the chunks' child executions.
    expect(starters.filter((entry) => !entry.startsWith('IngestionRole'))).toEqual([
      'functions/api-runs/handler.ts',
      'functions/fresh-sweeper/handler.ts',
      'functions/trigger/handler.ts',
    ]);
    expect(starters).toContainEqual(expect.stringMatching(/^IngestionRole/));
  });

  it('lets ApiRuns (serves GET /runs/{id}) and the sweeper read the ingestion machine’s executions, nothing more of Step Functions', () => {
    // Prepare
    const [machineId] = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'));
    const runs = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (fn) => fn.Metadata?.[ENTRY_METADATA_KEY] === 'functions/api-runs/handler.ts',
    );

    // Act
    const describers = entriesGranted(template, (s) => actionsOf(s).includes('states:DescribeExecution'));
    const ofSweeper = statementsOf(template, 'functions/fresh-sweeper/handler.ts').filter((s) =>
      actionsOf(s).includes('states:DescribeExecution'),
    );
    const ofRuns = statementsOf(template, 'functions/api-runs/handler.ts').filter((s) =>
      actionsOf(s).some((a) => a.startsWith('states:')),
    );
    // The same function serves the retry route: its StartExecution is the previous test's concern.
    const readsOfRuns = ofRuns.filter((s) => !actionsOf(s).includes('states:StartExecution'));

    // Assess
    // The sweeper too: it retries a file whose execution died unfinished (app/runs/retries.ts restartStalledRun).
    expect(describers.filter((entry) => !entry.startsWith('IngestionRole'))).toEqual([
      'functions/api-runs/handler.ts',
      'functions/fresh-sweeper/handler.ts',
    ]);
    expect(describers).toContainEqual(expect.stringMatching(/^IngestionRole/));
    expect(ofSweeper).toHaveLength(1);
    expect(ofSweeper[0]?.Action).toBe('states:DescribeExecution');
    expect(JSON.stringify(ofSweeper[0]?.Resource)).toContain(`"Ref":"${machineId}"`);
    expect(ofRuns.flatMap(actionsOf).sort()).toEqual([
      'states:DescribeExecution',
      'states:GetExecutionHistory',
      'states:StartExecution',
    ]);
    expect(readsOfRuns).toHaveLength(1);
    expect([readsOfRuns[0]?.Action].flat().sort()).toEqual([
      'states:DescribeExecution',
      'states:GetExecutionHistory',
    ]);
    const resource = JSON.stringify(readsOfRuns[0]?.Resource);
    expect(resource).toContain(':execution:');
    expect(resource).toContain(`"Ref":"${machineId}"`);
    expect(runs?.Properties.Environment.Variables.STATE_MACHINE_ARN).toEqual({ Ref: machineId });
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
