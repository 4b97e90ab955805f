import { readFileSync } from 'node:fs';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateStateMachineCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { runKeys } from '../../shared/adapters/dynamo/keys.js';
import { DynamoMetadataStore } from '../../shared/adapters/dynamo/metadata-store.js';
import { DynamoRunStore } from '../../shared/adapters/dynamo/run-store.js';
import { S3LineageSink } from '../../shared/adapters/s3-lineage-sink.js';
import { S3ObjectStore } from '../../shared/adapters/s3-object-store.js';
import { SfnOrchestrator } from '../../shared/adapters/sfn-orchestrator.js';
import { registerFile } from '../../shared/app/pipeline/register.js';
import { getRun as readRun } from '../../shared/app/runs/reads.js';
import { executionNameFor, fileIdFor, type ObjectRef } from '../../shared/domain/file-record.js';
import type { RunEvent } from '../../shared/domain/openlineage.js';
import { RUN_STALE_AFTER_MS } from '../../shared/domain/run.js';
import { systemClock } from '../../shared/ports.js';
import { runEventProblems } from '../openlineage/validate.js';
import { api, cloudContext, executionArnFor, newTenant, waitForExecution } from '../support/cloud.js';

const ctx = cloudContext();
const fixture = (name: string) => readFileSync(new URL(`../../events/data/${name}`, import.meta.url));
const PIPELINE = ['register', 'split', 'parse', 'validate', 'profile', 'quality', 'drift', 'version'];
let tenant: string;
let apiKey: string;

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'runs'));
});

type Json = Record<string, unknown>;

async function ingest(key: string, body: Uint8Array | string) {
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: ctx.info.dataBucket, Key: key, Body: body }));
  const ref: ObjectRef = { bucket: ctx.info.dataBucket, key, versionId: put.VersionId };
  const execution = await waitForExecution(ctx.sfn, executionArnFor(ctx.info, ref));
  return { ref, execution, runId: executionNameFor(ref) };
}

async function getRun(runId: string, key = apiKey) {
  return api(ctx.info, `/runs/${runId}`, { apiKey: key });
}

/**
 * `GET /runs/{id}`'s use case run here, with this test's own grants: for a run whose execution belongs to
 * a state machine outside the stack, which the runs function's role may not read (the local cloud enforces
 * it, as AWS would). Answers as the route does: 200 with the run as JSON.
 */
async function getRunInProcess(runId: string) {
  const store = new S3ObjectStore(ctx.s3, ctx.info.dataBucket);
  const view = await readRun(
    {
      runs: new DynamoRunStore(ctx.doc, ctx.info.metadataTable),
      reconcile: {
        orchestrator: new SfnOrchestrator(ctx.sfn, ctx.info.stateMachineArn),
        clock: systemClock,
        logger: { debug() {}, info() {}, warn() {}, error() {} },
        lineage: {
          dataBucket: ctx.info.dataBucket,
          sinks: [new S3LineageSink(store)],
          tableSchema: async () => {
            throw new Error('a run ended on read has no version to describe');
          },
        },
      },
    },
    tenant,
    runId,
  );
  return { status: 200, body: JSON.parse(JSON.stringify(view)) as Json };
}

async function retry(runId: string) {
  return api(ctx.info, `/runs/${runId}/retry`, { apiKey, method: 'POST' });
}

async function postSuite(dataset: string, suite: unknown) {
  const response = await api(ctx.info, `/datasets/${dataset}/validation-suite`, {
    apiKey,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(suite),
  });
  expect(response.status).toBe(200);
}

const stagesOf = (run: Json | undefined) => (run?.stages ?? []) as Json[];

describe('a pipeline run', () => {
  it('records a good file’s run as SUCCEEDED with every stage and its timings', async () => {
    // Act
    const { execution, ref, runId } = await ingest(
      `fresh/${tenant}/good/customers.csv`,
      fixture('customers.csv'),
    );
    const run = await getRun(runId);

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({
      runId,
      executionArn: execution.executionArn,
      tenant,
      dataset: 'good',
      fileId: fileIdFor(ref),
      object: { key: ref.key, versionId: ref.versionId },
      status: 'SUCCEEDED',
      outcome: 'VERSIONED',
      version: 1,
    });
    expect(Date.parse(String(run.body?.endedAt))).toBeGreaterThanOrEqual(
      Date.parse(String(run.body?.startedAt)),
    );
    expect(run.body?.durationMs).toEqual(expect.any(Number));
    const stages = stagesOf(run.body);
    expect(stages.map((s) => s.stage)).toEqual(PIPELINE);
    for (const stage of stages) {
      expect(stage).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
      expect(Date.parse(String(stage.endedAt))).toBeGreaterThanOrEqual(Date.parse(String(stage.startedAt)));
      expect(stage.durationMs).toEqual(expect.any(Number));
    }
  });

  it('ends a duplicate’s run SUCCEEDED after register, with outcome DUPLICATE', async () => {
    // Prepare
    await ingest(`fresh/${tenant}/dup/a.csv`, 'a,b\n1,2\n');

    // Act
    const { runId } = await ingest(`fresh/${tenant}/dup/b.csv`, 'a,b\n1,2\n');
    const run = await getRun(runId);

    // Assess
    expect(run.body).toMatchObject({ status: 'SUCCEEDED', outcome: 'DUPLICATE' });
    expect(stagesOf(run.body).map((s) => s.stage)).toEqual(['register']);
  });

  it('records a ragged CSV’s run as FAILED in parse with ParseError', async () => {
    // Act
    const { execution, runId } = await ingest(`fresh/${tenant}/ragged/r.csv`, fixture('ragged.csv'));
    const run = await getRun(runId);

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(run.body).toMatchObject({
      status: 'FAILED',
      failure: { stage: 'parse', name: 'ParseError', message: expect.stringMatching(/line \d+/) },
    });
    const stages = stagesOf(run.body);
    expect(stages.map((s) => [s.stage, s.status])).toEqual([
      ['register', 'SUCCEEDED'],
      ['split', 'SUCCEEDED'],
      ['parse', 'FAILED'],
      ['quarantine', 'SUCCEEDED'],
    ]);
    expect(stages[2]).toMatchObject({ error: { name: 'ParseError' } });
  });

  it('shows a run only to its tenant, and answers 404 for an unknown run', async () => {
    // Prepare
    const { runId } = await ingest(`fresh/${tenant}/private/p.csv`, 'a\n1\n');
    const other = await newTenant(ctx, 'runs-other');

    // Act / Assess
    expect((await getRun(runId, other.apiKey)).status).toBe(404);
    expect((await getRun('ingest-nothing-here')).status).toBe(404);
    expect((await getRun('not:a:run')).status).toBe(400);
  });
});

describe('retrying a run', () => {
  it('runs a failed file again as a linked run; the same bad object fails again', async () => {
    // Prepare
    const { runId } = await ingest(`fresh/${tenant}/ragged2/r.csv`, fixture('ragged.csv'));

    // Act
    const retried = await retry(runId);
    const retryId = String(retried.body?.runId);
    const execution = await waitForExecution(ctx.sfn, String(retried.body?.executionArn));
    const again = await retry(runId);

    // Assess
    expect(retried).toMatchObject({
      status: 202,
      body: { runId: `${runId}-r1`, retryOf: runId, started: true },
    });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('ParseError');
    expect((await getRun(retryId)).body).toMatchObject({
      status: 'FAILED',
      retryOf: runId,
      failure: { stage: 'parse', name: 'ParseError' },
    });
    expect((await getRun(runId)).body).toMatchObject({ status: 'FAILED', retriedBy: retryId });
    // Asking again for the same run's retry answers with the same retry, started once.
    expect(again).toMatchObject({ status: 202, body: { runId: retryId, started: false } });
    // The retry of the retry is the next in the chain.
    const second = await retry(retryId);
    expect(second.body).toMatchObject({ runId: `${runId}-r2`, retryOf: retryId });
    await waitForExecution(ctx.sfn, String(second.body?.executionArn));
  });

  it('refuses to retry a run that did not fail', async () => {
    // Prepare
    const { runId } = await ingest(`fresh/${tenant}/fine/f.csv`, 'a,b\n1,2\n');

    // Act
    const refused = await retry(runId);

    // Assess
    expect(refused).toMatchObject({ status: 409, body: { error: 'ConflictError' } });
    expect((await retry('ingest-nothing-here')).status).toBe(404);
  });

  it('versions the file once the dataset’s suite is relaxed, and the file is FRESH again', async () => {
    // Prepare: the file breaks the dataset's range check and is quarantined
    await postSuite('ages', { checks: [{ type: 'range', column: 'age', min: 0, max: 120 }] });
    const {
      execution: failed,
      ref,
      runId,
    } = await ingest(`fresh/${tenant}/ages/people.csv`, 'name,age\nann,34\nbob,212\n');
    expect(failed.status).toBe('FAILED');
    expect((await getRun(runId)).body).toMatchObject({
      status: 'FAILED',
      failure: { stage: 'validate', name: 'ValidationFailedError' },
    });
    await postSuite('ages', { checks: [{ type: 'range', column: 'age', min: 0, max: 250 }] });

    // Act
    const retried = await retry(runId);
    const execution = await waitForExecution(ctx.sfn, String(retried.body?.executionArn));

    // Assess
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    const retryId = String(retried.body?.runId);
    const run = await getRun(retryId);
    expect(run.body).toMatchObject({ status: 'SUCCEEDED', outcome: 'VERSIONED', version: 1, retryOf: runId });
    expect(stagesOf(run.body).map((s) => s.stage)).toEqual(PIPELINE);
    const file = await ctx.metadata.getFile(tenant, fileIdFor(ref));
    expect(file).toMatchObject({
      status: 'FRESH',
      version: 1,
      previousFailures: [expect.objectContaining({ stage: 'validate', errorName: 'ValidationFailedError' })],
    });
    expect(file?.failure).toBeUndefined();
    const files = await api(ctx.info, '/files?status=fresh&dataset=ages', { apiKey });
    expect(((files.body?.files ?? []) as Json[]).map((f) => f.fileId)).toContain(fileIdFor(ref));

    // The dataset's runs: newest first, by status, and the latest successful one.
    const all = await api(ctx.info, '/datasets/ages/runs', { apiKey });
    expect(((all.body?.runs ?? []) as Json[]).map((r) => r.runId)).toEqual([retryId, runId]);
    const failedRuns = await api(ctx.info, '/datasets/ages/runs?status=failed', { apiKey });
    expect(((failedRuns.body?.runs ?? []) as Json[]).map((r) => r.runId)).toEqual([runId]);
    const latest = await api(ctx.info, '/datasets/ages/runs/latest-successful', { apiKey });
    expect(latest.body).toMatchObject({ runId: retryId, status: 'SUCCEEDED' });
    expect(stagesOf(latest.body)).toHaveLength(PIPELINE.length);
  });

  it('pages a dataset’s runs and answers 404 when none succeeded', async () => {
    // Prepare
    for (const name of ['a', 'b', 'c']) await ingest(`fresh/${tenant}/paged/${name}.csv`, `x\n${name}\n`);
    await ingest(`fresh/${tenant}/never/r.csv`, fixture('ragged.csv'));

    // Act
    const first = await api(ctx.info, '/datasets/paged/runs?limit=2', { apiKey });
    const next = await api(ctx.info, `/datasets/paged/runs?limit=2&cursor=${first.body?.nextCursor}`, {
      apiKey,
    });
    const none = await api(ctx.info, '/datasets/never/runs/latest-successful', { apiKey });

    // Assess
    expect(first.body?.runs).toHaveLength(2);
    expect(next.body?.runs).toHaveLength(1);
    expect(none.status).toBe(404);
    expect((await api(ctx.info, '/datasets/paged/runs?status=nope', { apiKey })).status).toBe(400);
  });
});

describe('a run its execution left RUNNING', () => {
  const runs = () => new DynamoRunStore(ctx.doc, ctx.info.metadataTable);

  /** As if no stage had written the run for the stale threshold (and a second more). */
  async function backdate(runId: string) {
    const quiet = new Date(Date.now() - RUN_STALE_AFTER_MS - 1000).toISOString();
    await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.info.metadataTable,
        Key: { pk: runKeys.run(tenant, runId), sk: runKeys.header },
        UpdateExpression: 'SET updatedAt = :quiet',
        ExpressionAttributeValues: { ':quiet': quiet },
      }),
    );
  }

  /** The run's OpenLineage archive: event type → the object's ETag and the event. */
  async function lineageOf(runId: string) {
    const listed = await ctx.s3.send(
      new ListObjectsV2Command({ Bucket: ctx.info.dataBucket, Prefix: `lineage/${tenant}/` }),
    );
    const found = new Map<string, { eTag: string | undefined; event: RunEvent }>();
    for (const { Key, ETag } of listed.Contents ?? []) {
      if (!Key?.includes(`/${runId}-`)) continue;
      const object = await ctx.s3.send(new GetObjectCommand({ Bucket: ctx.info.dataBucket, Key }));
      const event = JSON.parse(await (object.Body?.transformToString() ?? '')) as RunEvent;
      found.set(event.eventType, { eTag: ETag, event });
    }
    return found;
  }

  it('answers an aborted execution’s run FAILED with the abort reason, stores it so and emits FAIL once', async () => {
    // Prepare: a run as register opens it, whose execution was then aborted with no stage left to record
    // it. The execution is a real Step Functions execution of a one-state machine (Wait): stopping one with
    // a Lambda task in flight races inside LocalStack, which then ends it FAILED instead of ABORTED.
    const ref: ObjectRef = {
      bucket: ctx.info.dataBucket,
      key: `fresh/${tenant}/stuck/big-${Date.now()}.csv`,
      versionId: 'v1',
    };
    const runId = executionNameFor(ref);
    const machine = await ctx.sfn.send(
      new CreateStateMachineCommand({
        name: `stuck-${runId.slice(0, 20)}`,
        roleArn: `arn:aws:iam::${ctx.info.account}:role/stuck`,
        definition: JSON.stringify({
          StartAt: 'Wait',
          States: { Wait: { Type: 'Wait', Seconds: 600, End: true } },
        }),
      }),
    );
    const { executionArn } = await ctx.sfn.send(
      new StartExecutionCommand({ stateMachineArn: machine.stateMachineArn, name: runId }),
    );
    const startedAt = new Date(Date.now() - 20 * 60_000).toISOString();
    await runs().openRun(
      {
        runId,
        executionArn: executionArn ?? '',
        tenant,
        dataset: 'stuck',
        fileId: fileIdFor(ref),
        object: ref,
        startedAt,
      },
      new Date().toISOString(),
      'register',
    );
    await runs().startAttempt(tenant, runId, { stage: 'register', attempt: 0, status: 'RUNNING', startedAt });
    await ctx.sfn.send(
      new StopExecutionCommand({ executionArn, error: 'OperatorStop', cause: 'wrong file uploaded' }),
    );
    const execution = await waitForExecution(ctx.sfn, executionArn ?? '');
    expect(execution.status).toBe('ABORTED');
    const recent = await getRunInProcess(runId);
    await backdate(runId);

    // Act
    const first = await getRunInProcess(runId);
    const afterFirst = await lineageOf(runId);
    const second = await getRunInProcess(runId);
    const afterSecond = await lineageOf(runId);

    // Assess: written a moment ago, the run is not asked about yet
    expect(recent.body).toMatchObject({ status: 'RUNNING' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      status: 'FAILED',
      endedAt: execution.stopDate?.toISOString(),
      failure: {
        stage: 'register',
        name: 'ExecutionAborted',
        message: 'the execution was aborted: OperatorStop: wrong file uploaded',
      },
    });
    expect(second.body).toEqual(first.body);
    const stored = await runs().getRun(tenant, runId);
    expect(stored?.run).toMatchObject({ status: 'FAILED', failure: { name: 'ExecutionAborted' } });
    const failed = await api(ctx.info, '/datasets/stuck/runs?status=failed', { apiKey });
    expect(((failed.body?.runs ?? []) as Json[]).map((r) => r.runId)).toEqual([runId]);
    // One FAIL event, written by the first read; the second read emitted nothing.
    expect([...afterFirst.keys()]).toEqual(['FAIL']); // no stage ran here to write START
    const fail = afterFirst.get('FAIL')?.event;
    expect(runEventProblems(fail)).toEqual([]);
    expect(fail?.eventTime).toBe(execution.stopDate?.toISOString());
    expect(fail?.run.facets?.errorMessage).toMatchObject({
      message: expect.stringMatching(
        /^ExecutionAborted in stage \w+: the execution was aborted: OperatorStop/,
      ),
    });
    expect([...afterSecond.entries()].map(([type, { eTag }]) => [type, eTag]).sort()).toEqual(
      [...afterFirst.entries()].map(([type, { eTag }]) => [type, eTag]).sort(),
    );
  });

  it('leaves a succeeded run as it ended, however long ago it was written', async () => {
    // Prepare
    const { runId } = await ingest(`fresh/${tenant}/settled/s.csv`, 'a,b\n1,2\n');
    const ended = await getRun(runId);
    await backdate(runId);

    // Act
    const read = await getRun(runId);

    // Assess
    expect(read.body).toMatchObject({
      status: 'SUCCEEDED',
      outcome: 'VERSIONED',
      endedAt: ended.body?.endedAt,
    });
    expect([...(await lineageOf(runId)).keys()].sort()).toEqual(['COMPLETE', 'START']);
  });
});

describe('re-admitting a quarantined file', () => {
  it('registers whole a file whose first run failed before register recorded it', async () => {
    // Prepare: an object outside fresh/ (no trigger), and the record a failure before register leaves
    const key = `used/${tenant}/partial/p.csv`;
    const put = await ctx.s3.send(
      new PutObjectCommand({ Bucket: ctx.info.dataBucket, Key: key, Body: 'a,b\n1,2\n' }),
    );
    const object = { bucket: ctx.info.dataBucket, key, versionId: put.VersionId };
    const metadata = new DynamoMetadataStore(
      DynamoDBDocumentClient.from(ctx.dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
      ctx.info.metadataTable,
    );
    const fileId = fileIdFor(object);
    await metadata.recordFailure({
      tenant,
      dataset: 'partial',
      fileId,
      bucket: object.bucket,
      key,
      stage: 'register',
      errorName: 'TransientError',
      message: 'GetObject failed transiently',
      quarantineKey: `quarantine/${tenant}/partial/p.csv`,
      at: new Date().toISOString(),
    });
    const deps = {
      store: new S3ObjectStore(ctx.s3, ctx.info.dataBucket),
      metadata,
      clock: systemClock,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    };

    // Act: what the register stage of the retried run does
    const registered = await registerFile(deps, { object, retryOf: 'ingest-earlier' });

    // Assess
    expect(registered).toMatchObject({ fileId, outcome: 'REGISTERED', sha256: expect.any(String) });
    const file = await metadata.getFile(tenant, fileId);
    expect(file).toMatchObject({
      status: 'FRESH',
      stage: 'register',
      sha256: registered.sha256,
      previousFailures: [expect.objectContaining({ stage: 'register', errorName: 'TransientError' })],
    });
    expect(file?.failure).toBeUndefined();
    expect((await metadata.getDataset(tenant, 'partial'))?.fileCount).toBe(1);
  });
});
