/**
 * The fresh/ sweeper against in-memory fakes: which settled objects it starts, and how it restarts a file
 * whose execution died before the pipeline finished it (the quarantine failed through an outage, or Step
 * Functions lost the execution) as a retry of its dead run.
 */
import { describe, expect, it } from 'vitest';
import { type SweepDeps, type SweepOptions, sweepFresh } from '../../shared/app/pipeline/sweep.js';
import {
  executionNameFor,
  type FileRecord,
  fileIdFor,
  type ObjectRef,
  pipelineUnfinished,
} from '../../shared/domain/file-record.js';
import type { ExecutionDescription, RunRecord, StageAttempt } from '../../shared/domain/run.js';
import type { RunStore } from '../../shared/ports.js';

const MACHINE = 'arn:aws:states:us-east-1:1:stateMachine:ingest';
const arnOf = (name: string) => `${MACHINE.replace(':stateMachine:', ':execution:')}:${name}`;
const NOW = new Date('2026-05-01T12:00:00.000Z');
const SETTLED = new Date('2026-05-01T11:00:00.000Z');
const OPTIONS: SweepOptions = { settleMs: 15 * 60_000, lookbackMs: 24 * 60 * 60_000, maxStarts: 10 };
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A run store keyed by run id whose conditional writes behave like the DynamoDB one's. */
function memoryRuns() {
  const runs = new Map<string, RunRecord>();
  const attempts = new Map<string, StageAttempt[]>();
  const store: RunStore = {
    openRun: async (start, at, stage) => {
      const existing = runs.get(start.runId);
      runs.set(start.runId, {
        ...(existing ?? { ...start, status: 'RUNNING' }),
        updatedAt: at,
        ...(stage && { currentStage: stage }),
      });
    },
    startAttempt: async (_tenant, runId, attempt) => {
      attempts.set(runId, [...(attempts.get(runId) ?? []), attempt]);
    },
    endAttempt: async (_tenant, runId, end) => {
      const attempt = attempts.get(runId)?.find((a) => a.stage === end.stage && a.attempt === end.attempt);
      if (attempt?.status !== 'RUNNING') return false;
      Object.assign(attempt, end);
      return true;
    },
    endRun: async (_tenant, _dataset, runId, end) => {
      const run = runs.get(runId);
      if (run?.status !== 'RUNNING') return false;
      runs.set(runId, {
        ...run,
        status: end.status,
        endedAt: end.endedAt,
        ...(end.status === 'FAILED' && { failure: end.failure }),
      });
      return true;
    },
    getRun: async (_tenant, runId) => {
      const run = runs.get(runId);
      return run && structuredClone({ run, attempts: attempts.get(runId) ?? [] });
    },
    listRuns: async () => ({ items: [] }),
    claimRetry: async (_tenant, runId, retryRunId, at) => {
      const run = runs.get(runId);
      if (run?.retriedBy) return { outcome: 'already-retried', retriedBy: run.retriedBy };
      if (run?.status !== 'FAILED') return { outcome: 'not-failed' };
      runs.set(runId, { ...run, retriedBy: retryRunId, retriedAt: at });
      return { outcome: 'claimed', retriedBy: retryRunId };
    },
  };
  return { store, runs, attempts };
}

/** Step Functions: executions by name, unique per name as the service keeps them. */
function memoryOrchestrator() {
  const executions = new Map<string, ExecutionDescription>();
  const inputs = new Map<string, unknown>();
  return {
    executions,
    inputs,
    orchestrator: {
      startIngestion: async (name: string, input: unknown) => {
        if (executions.has(name)) return { executionArn: arnOf(name), started: false };
        executions.set(name, { status: 'RUNNING' });
        inputs.set(name, input);
        return { executionArn: arnOf(name), started: true };
      },
      describeExecution: async (arn: string) => executions.get(arn.split(':').at(-1) ?? ''),
    },
  };
}

function world(objects: Array<{ key: string; versionId: string }>, files: FileRecord[] = []) {
  const runs = memoryRuns();
  const sfn = memoryOrchestrator();
  const byId = new Map(files.map((f) => [f.fileId, f]));
  const deps: SweepDeps = {
    objects: {
      bucket: 'data',
      async *listCurrent() {
        for (const o of objects) yield { ...o, eTag: '"e"', size: 10, lastModified: SETTLED };
      },
    },
    files: { getFile: async (_tenant, fileId) => byId.get(fileId) },
    runs: runs.store,
    orchestrator: sfn.orchestrator,
    clock: { now: () => NOW },
    logger: silent,
  };
  return { deps, runs, sfn, byId };
}

const ref: ObjectRef = { bucket: 'data', key: 'fresh/acme/orders/a.csv', versionId: 'v1' };
const FIRST = executionNameFor(ref);

function fileRecord(changes: Partial<FileRecord> = {}): FileRecord {
  return {
    fileId: fileIdFor(ref),
    tenant: 'acme',
    dataset: 'orders',
    bucket: 'data',
    key: ref.key,
    objectVersion: 'v1',
    fileName: 'a.csv',
    sha256: 'a'.repeat(64),
    size: 10,
    format: 'csv',
    dataType: 'custom',
    status: 'FRESH',
    stage: 'parse',
    uploadedAt: SETTLED.toISOString(),
    registeredAt: SETTLED.toISOString(),
    ...changes,
  };
}

/** The run the trigger's execution opened at register, as the stage recorder writes it. */
function openedRun(runId = FIRST, changes: Partial<RunRecord> = {}): RunRecord {
  return {
    runId,
    executionArn: arnOf(runId),
    tenant: 'acme',
    dataset: 'orders',
    fileId: fileIdFor(ref),
    object: ref,
    status: 'RUNNING',
    startedAt: '2026-05-01T11:00:01.000Z',
    currentStage: 'parse',
    updatedAt: '2026-05-01T11:00:02.000Z',
    ...changes,
  };
}

describe('which records the pipeline has finished', () => {
  it('counts a FRESH file before the version stage as unfinished, and nothing else', () => {
    // Assess
    expect(pipelineUnfinished(fileRecord({ stage: 'register' }))).toBe(true);
    expect(pipelineUnfinished(fileRecord({ stage: 'drift', version: 3 }))).toBe(true);
    expect(pipelineUnfinished(fileRecord({ stage: 'version', version: 3 }))).toBe(false);
    expect(pipelineUnfinished(fileRecord({ status: 'QUARANTINED' }))).toBe(false);
    expect(pipelineUnfinished(fileRecord({ status: 'DUPLICATE', stage: 'register' }))).toBe(false);
    expect(pipelineUnfinished(fileRecord({ status: 'USED', stage: 'version' }))).toBe(false);
  });
});

describe('the fresh/ sweeper', () => {
  it('starts the pipeline of a settled object without a file record, once', async () => {
    // Prepare
    const { deps, sfn } = world([{ key: ref.key, versionId: 'v1' }]);

    // Act
    const first = await sweepFresh(deps, OPTIONS);
    const second = await sweepFresh(deps, OPTIONS);

    // Assess
    expect(first.started).toEqual([{ key: ref.key, executionArn: arnOf(FIRST) }]);
    expect(second).toMatchObject({ started: [], alreadyStarted: 1, restarted: [] });
    expect([...sfn.executions.keys()]).toEqual([FIRST]);
  });

  it('restarts a file whose execution Step Functions lost as a retry of its run, once', async () => {
    // Prepare: register recorded the file and opened the run; then the execution was lost
    const { deps, runs, sfn } = world([{ key: ref.key, versionId: 'v1' }], [fileRecord()]);
    runs.runs.set(FIRST, openedRun());
    runs.attempts.set(FIRST, [
      { stage: 'register', attempt: 0, status: 'SUCCEEDED', startedAt: '2026-05-01T11:00:01.000Z' },
    ]);

    // Act
    const first = await sweepFresh(deps, OPTIONS);
    const second = await sweepFresh(deps, OPTIONS);

    // Assess
    expect(first.restarted).toEqual([
      { key: ref.key, runId: `${FIRST}-r1`, retryOf: FIRST, executionArn: arnOf(`${FIRST}-r1`) },
    ]);
    expect(first.started).toEqual([]);
    expect(runs.runs.get(FIRST)).toMatchObject({
      status: 'FAILED',
      failure: { stage: 'parse', name: 'ExecutionLost' },
      retriedBy: `${FIRST}-r1`,
    });
    expect(runs.runs.get(`${FIRST}-r1`)).toMatchObject({
      status: 'RUNNING',
      retryOf: FIRST,
      fileId: fileIdFor(ref),
    });
    expect(sfn.inputs.get(`${FIRST}-r1`)).toEqual({ object: ref, retryOf: FIRST });
    expect(second).toMatchObject({ started: [], restarted: [], inProgress: 1 });
  });

  it('restarts a file whose execution FAILED without quarantining it, following earlier retries', async () => {
    // Prepare: the first run was retried, and the retry's quarantine failed through an outage
    const { deps, runs, sfn } = world(
      [{ key: ref.key, versionId: 'v1' }],
      [fileRecord({ stage: 'validate' })],
    );
    runs.runs.set(FIRST, openedRun(FIRST, { status: 'FAILED', retriedBy: `${FIRST}-r1` }));
    runs.runs.set(`${FIRST}-r1`, openedRun(`${FIRST}-r1`, { retryOf: FIRST, currentStage: 'quarantine' }));
    runs.attempts.set(`${FIRST}-r1`, [
      { stage: 'quarantine', attempt: 7, status: 'RUNNING', startedAt: '2026-05-01T11:05:00.000Z' },
    ]);
    sfn.executions.set(FIRST, { status: 'FAILED' });
    sfn.executions.set(`${FIRST}-r1`, {
      status: 'FAILED',
      stopDate: '2026-05-01T11:06:00.000Z',
      error: 'TransientError',
      cause: '{"errorMessage":"DynamoDB unreachable"}',
    });

    // Act
    const swept = await sweepFresh(deps, OPTIONS);

    // Assess
    expect(swept.restarted).toEqual([
      expect.objectContaining({ runId: `${FIRST}-r2`, retryOf: `${FIRST}-r1` }),
    ]);
    expect(runs.runs.get(`${FIRST}-r1`)).toMatchObject({
      status: 'FAILED',
      failure: { stage: 'quarantine', name: 'ExecutionFailed' },
      retriedBy: `${FIRST}-r2`,
    });
    expect(runs.attempts.get(`${FIRST}-r1`)?.[0]).toMatchObject({ status: 'FAILED' });
    expect(sfn.executions.get(`${FIRST}-r2`)).toEqual({ status: 'RUNNING' });
  });

  it('leaves a file whose execution still runs to it', async () => {
    // Prepare: a long parse, 15 minutes after the upload
    const { deps, runs, sfn } = world([{ key: ref.key, versionId: 'v1' }], [fileRecord()]);
    runs.runs.set(FIRST, openedRun());
    sfn.executions.set(FIRST, { status: 'RUNNING' });

    // Act
    const swept = await sweepFresh(deps, OPTIONS);

    // Assess
    expect(swept).toMatchObject({ started: [], restarted: [], inProgress: 1 });
    expect(runs.runs.get(FIRST)?.status).toBe('RUNNING');
    expect([...sfn.executions.keys()]).toEqual([FIRST]);
  });

  it('retries a run that reading it already ended FAILED', async () => {
    // Prepare
    const { deps, runs } = world([{ key: ref.key, versionId: 'v1' }], [fileRecord()]);
    runs.runs.set(FIRST, openedRun(FIRST, { status: 'FAILED' }));

    // Act
    const swept = await sweepFresh(deps, OPTIONS);

    // Assess
    expect(swept.restarted).toEqual([expect.objectContaining({ runId: `${FIRST}-r1` })]);
  });

  it('neither starts nor asks about a file the pipeline finished', async () => {
    // Prepare: versioned, quarantined and duplicate files, each with a FAILED or lost execution
    const keys = ['a', 'b', 'c'].map((n) => ({ key: `fresh/acme/orders/${n}.csv`, versionId: 'v1' }));
    const finished: Array<Partial<FileRecord>> = [
      { stage: 'version', version: 1 },
      { status: 'QUARANTINED' },
      { status: 'DUPLICATE', stage: 'register' },
    ];
    const files = keys.map((k, i) => ({
      ...fileRecord(finished[i]),
      fileId: fileIdFor({ bucket: 'data', ...k }),
      key: k.key,
    }));
    const { deps, sfn } = world(keys, files);
    const asked: string[] = [];
    deps.orchestrator = {
      ...sfn.orchestrator,
      describeExecution: async (arn) => void asked.push(arn),
    };

    // Act
    const swept = await sweepFresh(deps, OPTIONS);

    // Assess
    expect(swept).toMatchObject({
      examined: 3,
      started: [],
      restarted: [],
      inProgress: 0,
      alreadyStarted: 0,
    });
    expect(asked).toEqual([]);
  });

  it('leaves a file without any recorded run as it is, and says so', async () => {
    // Prepare
    const { deps, sfn } = world([{ key: ref.key, versionId: 'v1' }], [fileRecord()]);
    const warned: string[] = [];
    deps.logger = { ...silent, warn: (message: string) => void warned.push(message) };

    // Act
    const swept = await sweepFresh(deps, OPTIONS);

    // Assess
    expect(swept).toMatchObject({ started: [], restarted: [], inProgress: 0 });
    expect(sfn.executions.size).toBe(0);
    expect(warned).toEqual([expect.stringContaining('no run to retry')]);
  });
});
