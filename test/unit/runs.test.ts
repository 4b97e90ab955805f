import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getRun } from '../../shared/app/runs/reads.js';
import { type RunContext, runSubject } from '../../shared/app/runs/recording.js';
import { executionNameFor, fileIdFor } from '../../shared/domain/file-record.js';
import type { RunEvent } from '../../shared/domain/openlineage.js';
import {
  canMoveRun,
  causeMessage,
  type ExecutionDescription,
  isStaleRun,
  normalizeInstant,
  RUN_ID_PATTERN,
  RUN_STALE_AFTER_MS,
  RUN_STATUSES,
  type RunRecord,
  type RunStatus,
  reconcileRun,
  retryExecutionName,
  retryNumber,
  runEndAfter,
  type StageAttempt,
  summarizeStages,
  unfinishedAttempts,
} from '../../shared/domain/run.js';
import { ParseError, TransientError } from '../../shared/errors.js';
import { recordRuns } from '../../shared/lambda/run-recording.js';
import type { RunStart, RunStore } from '../../shared/ports.js';
import { runEventProblems } from '../openlineage/validate.js';

const status = fc.constantFrom(...RUN_STATUSES);

describe('run status transitions', () => {
  it('lets a run go from RUNNING to either end, and from nothing to anything', () => {
    for (const to of RUN_STATUSES) {
      expect(canMoveRun(undefined, to)).toBe(true);
      expect(canMoveRun('RUNNING', to)).toBe(true);
    }
  });

  it('never leaves a terminal status, but allows writing it again', () => {
    fc.assert(
      fc.property(status, status, (from, to) => {
        if (from === 'RUNNING') return;
        expect(canMoveRun(from, to)).toBe(from === to);
      }),
    );
  });

  it('applies any order of writes so that the first terminal status wins', () => {
    fc.assert(
      fc.property(fc.array(status, { maxLength: 10 }), (writes) => {
        let current: RunStatus | undefined;
        for (const next of writes) if (canMoveRun(current, next)) current = next;
        const firstTerminal = writes.find((s) => s !== 'RUNNING');
        expect(current).toBe(firstTerminal ?? (writes.length > 0 ? 'RUNNING' : undefined));
      }),
    );
  });
});

describe('what ends a run', () => {
  it('ends it SUCCEEDED when register finds duplicate content, else leaves it running', () => {
    expect(runEndAfter('register', { outcome: 'DUPLICATE' }, {})).toEqual({
      status: 'SUCCEEDED',
      outcome: 'DUPLICATE',
    });
    expect(runEndAfter('register', { outcome: 'REGISTERED' }, {})).toBeUndefined();
    for (const stage of ['parse', 'validate', 'profile', 'quality', 'drift']) {
      expect(runEndAfter(stage, {}, {})).toBeUndefined();
    }
  });

  it('ends it SUCCEEDED with the version after the version stage (HELD kept apart)', () => {
    expect(runEndAfter('version', { status: 'VERSIONED', version: 3 }, {})).toEqual({
      status: 'SUCCEEDED',
      outcome: 'VERSIONED',
      version: 3,
    });
    expect(runEndAfter('version', { status: 'HELD', version: 4 }, {})).toMatchObject({ outcome: 'HELD' });
  });

  it('ends it FAILED after the quarantine, with the caught stage, error name and message', () => {
    const caught = {
      object: { bucket: 'b', key: 'fresh/t/d/x.csv' },
      failedStage: 'parse',
      error: {
        Error: 'ParseError',
        Cause: JSON.stringify({ errorType: 'ParseError', errorMessage: 'cannot parse file at line 3' }),
      },
    };
    expect(runEndAfter('quarantine', { quarantineKey: 'q' }, caught)).toEqual({
      status: 'FAILED',
      failure: { stage: 'parse', name: 'ParseError', message: 'cannot parse file at line 3' },
    });
  });

  it('reads a cause that is JSON from Lambda, or plain text from Step Functions', () => {
    expect(causeMessage('{"errorMessage":"boom"}')).toBe('boom');
    expect(causeMessage('States.Timeout after 60 s')).toBe('States.Timeout after 60 s');
    expect(causeMessage(undefined)).toBeUndefined();
    expect(causeMessage('x'.repeat(5000))?.length).toBe(2000);
  });
});

describe('stage summaries', () => {
  const attempt = (stage: string, n: number, s: RunStatus, start: string, end?: string): StageAttempt => ({
    stage,
    attempt: n,
    status: s,
    startedAt: `2026-01-01T00:00:${start}.000Z`,
    ...(end && { endedAt: `2026-01-01T00:00:${end}.000Z` }),
  });

  it('orders a chunked run’s stages as it runs them, each chunk family by index', () => {
    // Arrange
    const stages = [
      'merge',
      'quality',
      'chunk-10',
      'assess-1',
      'settle',
      'chunk-2',
      'scan-1',
      'validate',
      'assess-0',
      'scan-0',
      'split',
      'register',
    ];
    const attempts = stages.map((stage, i) => attempt(stage, 0, 'SUCCEEDED', String(10 + i), String(11 + i)));

    // Act
    const order = summarizeStages(attempts).map((s) => s.stage);

    // Assess
    expect(order).toEqual([
      'register',
      'split',
      'scan-0',
      'scan-1',
      'settle',
      'chunk-2',
      'chunk-10',
      'merge',
      'validate',
      'assess-0',
      'assess-1',
      'quality',
    ]);
  });

  it('orders stages as the pipeline runs them and sums up retried attempts', () => {
    // Arrange
    const attempts = [
      attempt('parse', 1, 'SUCCEEDED', '05', '07'),
      attempt('register', 0, 'SUCCEEDED', '00', '01'),
      attempt('parse', 0, 'FAILED', '01', '02'),
      attempt('quarantine', 0, 'SUCCEEDED', '09', '10'),
    ];

    // Act
    const stages = summarizeStages(attempts);

    // Assess
    expect(stages.map((s) => s.stage)).toEqual(['register', 'parse', 'quarantine']);
    expect(stages[1]).toMatchObject({
      status: 'SUCCEEDED',
      attempts: 2,
      startedAt: '2026-01-01T00:00:01.000Z',
      endedAt: '2026-01-01T00:00:07.000Z',
      durationMs: 6000,
    });
    expect(stages[1]?.history.map((a) => a.attempt)).toEqual([0, 1]);
  });

  it('finds the attempts a crashed stage left running', () => {
    const attempts = [attempt('drift', 0, 'RUNNING', '01'), attempt('profile', 0, 'SUCCEEDED', '00', '01')];
    expect(unfinishedAttempts(attempts, 'drift')).toHaveLength(1);
    expect(unfinishedAttempts(attempts, 'profile')).toHaveLength(0);
  });

  it('stores instants in one format whatever precision and offset they came with', () => {
    expect(normalizeInstant('2026-03-01T10:00:00.123456+00:00')).toBe('2026-03-01T10:00:00.123Z');
    expect(normalizeInstant('2026-03-01T11:00:00.5+01:00')).toBe('2026-03-01T10:00:00.500Z');
    expect(() => normalizeInstant('yesterday')).toThrow(RangeError);
  });
});

describe('retry naming', () => {
  it('appends -r1 to a trigger-started run and counts up along the chain', () => {
    const original = executionNameFor({ bucket: 'b', key: 'fresh/t/d/x.csv', versionId: 'v1' });
    const first = retryExecutionName(original);
    expect(first).toBe(`${original}-r1`);
    expect(retryExecutionName(first)).toBe(`${original}-r2`);
    expect(retryNumber(original)).toBe(0);
    expect(retryNumber(retryExecutionName(first))).toBe(2);
  });

  it('names the same retry for the same run, always a valid execution name', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{1,70}$/), fc.integer({ min: 0, max: 50 }), (root, n) => {
        const run = n === 0 ? root : `${root}-r${n}`;
        const name = retryExecutionName(run);
        expect(name).toBe(retryExecutionName(run));
        expect(name).toMatch(RUN_ID_PATTERN);
        expect(retryNumber(name)).toBe(retryNumber(run) + 1);
      }),
    );
  });

  it('refuses a retry whose name would not fit Step Functions', () => {
    expect(() => retryExecutionName('x'.repeat(79))).toThrow(RangeError);
  });
});

describe('the run of a state', () => {
  it('belongs to the tenant and dataset of the object key, with the file id of the object', () => {
    const object = { bucket: 'b', key: 'fresh/acme/orders/2026/o.csv', versionId: 'v9' };
    expect(runSubject({ object, retryOf: 'ingest-x' })).toEqual({
      tenant: 'acme',
      dataset: 'orders',
      fileId: fileIdFor(object),
      object,
      retryOf: 'ingest-x',
    });
  });

  it('has none for a key that names no tenant', () => {
    expect(runSubject({ object: { bucket: 'b', key: 'fresh/readme.txt' } })).toBeUndefined();
    expect(runSubject({})).toBeUndefined();
  });
});

/** Records every call; enough to see what the middleware asks of the store. */
function fakeRuns() {
  const calls: Array<[string, ...unknown[]]> = [];
  const store: RunStore = {
    openRun: async (run: RunStart, at: string, stage?: string) =>
      void calls.push(['openRun', run, at, stage]),
    startAttempt: async (...args) => void calls.push(['startAttempt', ...args]),
    endAttempt: async (...args) => {
      calls.push(['endAttempt', ...args]);
      return true;
    },
    endRun: async (...args) => {
      calls.push(['endRun', ...args]);
      return true;
    },
    getRun: async () => undefined,
    listRuns: async () => ({ items: [] }),
    claimRetry: async () => ({ outcome: 'not-failed' }),
  };
  return { store, calls };
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const clock = { now: () => new Date('2026-05-01T00:00:01.000Z') };

async function invoke(middleware: ReturnType<typeof recordRuns>, event: unknown, handler: () => unknown) {
  // The middy request protocol, by hand: before → handler → after, onError on a throw.
  const request = { event, context: {}, response: null as unknown, error: null as unknown, internal: {} };
  try {
    await middleware.before?.(request as never);
    request.response = await handler();
    await middleware.after?.(request as never);
    return { event: request.event, response: request.response };
  } catch (error) {
    request.error = error;
    await middleware.onError?.(request as never);
    throw error;
  }
}

describe('the run recorder middleware', () => {
  const run: RunContext = {
    id: 'ingest-abc',
    arn: 'arn:aws:states:us-east-1:000000000000:execution:sm:ingest-abc',
    startedAt: '2026-05-01T00:00:00.000+00:00',
    stage: 'version',
    attempt: 1,
  };
  const state = { object: { bucket: 'b', key: 'fresh/acme/orders/o.csv', versionId: 'v1' } };

  it('hands the handler the state and records the attempt, ending the run after the version stage', async () => {
    // Arrange
    const { store, calls } = fakeRuns();
    const middleware = recordRuns({ runs: store, clock, logger: silent });

    // Act
    const result = await invoke(middleware, { state, run }, () => ({ status: 'VERSIONED', version: 2 }));

    // Assess
    expect(result.event).toEqual(state);
    expect(calls.map((c) => c[0])).toEqual(['openRun', 'startAttempt', 'endAttempt', 'endRun']);
    expect(calls[0]?.[1]).toMatchObject({ runId: 'ingest-abc', tenant: 'acme', dataset: 'orders' });
    expect(calls[2]?.[3]).toMatchObject({ stage: 'version', attempt: 1, status: 'SUCCEEDED' });
    expect(calls[3]?.slice(1, 4)).toEqual(['acme', 'orders', 'ingest-abc']);
    expect(calls[3]?.[4]).toMatchObject({ status: 'SUCCEEDED', outcome: 'VERSIONED', version: 2 });
  });

  it('records a failed attempt with its error name and lets the same error through', async () => {
    // Arrange
    const { store, calls } = fakeRuns();
    const middleware = recordRuns({ runs: store, clock, logger: silent });
    const failure = new ParseError('ragged row', { line: 3 });

    // Act
    const attempt = invoke(middleware, { state, run: { ...run, stage: 'parse' } }, () => {
      throw failure;
    });

    // Assess
    await expect(attempt).rejects.toBe(failure);
    expect(calls.map((c) => c[0])).toEqual(['openRun', 'startAttempt', 'endAttempt']);
    expect(calls[2]?.[3]).toMatchObject({ status: 'FAILED', error: { name: 'ParseError' } });
  });

  it('keeps the stage error when recording it fails', async () => {
    // Arrange
    const { store } = fakeRuns();
    store.endAttempt = async () => {
      throw new TransientError('throttled');
    };
    const middleware = recordRuns({ runs: store, clock, logger: silent });
    const failure = new ParseError('ragged row');

    // Act / Assess
    await expect(
      invoke(middleware, { state, run: { ...run, stage: 'parse' } }, () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
  });

  it('passes an event without the envelope through unrecorded', async () => {
    // Arrange
    const { store, calls } = fakeRuns();
    const middleware = recordRuns({ runs: store, clock, logger: silent });

    // Act
    const result = await invoke(middleware, state, () => 'ok');

    // Assess
    expect(result.event).toBe(state);
    expect(calls).toEqual([]);
  });
});

// ---- reconciling a run with its execution ------------------------------------------------------------

const STARTED = '2026-05-01T10:00:00.000Z';
const stuck: RunRecord = {
  runId: 'ingest-stuck',
  executionArn: 'arn:aws:states:us-east-1:000000000000:execution:sm:ingest-stuck',
  tenant: 'acme',
  dataset: 'orders',
  fileId: 'f1',
  object: { bucket: 'b', key: 'fresh/acme/orders/o.csv', versionId: 'v1' },
  status: 'RUNNING',
  startedAt: STARTED,
  currentStage: 'parse',
  updatedAt: '2026-05-01T10:00:05.000Z',
};
const at = (iso: string) => new Date(iso);
const attemptOf = (stage: string, status: RunStatus, startedAt: string): StageAttempt => ({
  stage,
  attempt: 0,
  status,
  startedAt,
  ...(status !== 'RUNNING' && { endedAt: startedAt }),
});
const lambdaCause = JSON.stringify({
  errorType: 'Error',
  errorMessage: 'quarantine could not copy the file',
  trace: ['Error: quarantine could not copy the file', '    at copy (/var/task/index.mjs:1:1)'],
});

describe('when a read asks Step Functions about a run', () => {
  it('asks only about a RUNNING run quiet for the stale threshold', () => {
    const quietUntil = Date.parse(stuck.updatedAt) + RUN_STALE_AFTER_MS;
    expect(isStaleRun(stuck, new Date(quietUntil - 1))).toBe(false);
    expect(isStaleRun(stuck, new Date(quietUntil))).toBe(true);
    expect(isStaleRun({ ...stuck, status: 'FAILED' }, new Date(quietUntil + 3_600_000))).toBe(false);
    expect(isStaleRun({ ...stuck, status: 'SUCCEEDED' }, new Date(quietUntil + 3_600_000))).toBe(false);
  });
});

describe('reconciling a run with its execution', () => {
  const now = at('2026-05-01T10:30:00.000Z');

  it('ends a run FAILED with ExecutionAborted in its stage, at the execution’s stop, with the abort reason', () => {
    // Prepare
    const aborted: ExecutionDescription = {
      status: 'ABORTED',
      stopDate: '2026-05-01T10:00:09.500Z',
      error: 'OperatorStop',
      cause: 'wrong file uploaded',
    };
    const attempts = [attemptOf('register', 'SUCCEEDED', STARTED), attemptOf('parse', 'SUCCEEDED', STARTED)];

    // Act
    const decision = reconcileRun(stuck, attempts, aborted, now);

    // Assess
    expect(decision).toEqual({
      action: 'end',
      end: {
        status: 'FAILED',
        failure: {
          stage: 'parse',
          name: 'ExecutionAborted',
          message: 'the execution was aborted: OperatorStop: wrong file uploaded',
        },
      },
      endedAt: '2026-05-01T10:00:09.500Z',
      durationMs: 9500,
      unfinished: [],
    });
  });

  it('names a timeout ExecutionTimedOut and an abort without a reason plainly', () => {
    const timedOut = reconcileRun(stuck, [], { status: 'TIMED_OUT' }, now);
    const aborted = reconcileRun(stuck, [], { status: 'ABORTED' }, now);
    expect(timedOut).toMatchObject({
      action: 'end',
      end: { failure: { name: 'ExecutionTimedOut', message: 'the execution timed out' } },
      endedAt: now.toISOString(),
    });
    expect(aborted).toMatchObject({
      end: { failure: { name: 'ExecutionAborted', message: 'the execution was aborted' } },
    });
  });

  it('ends a run whose quarantine failed FAILED with ExecutionFailed, the Lambda’s message and no stack trace', () => {
    // Prepare: the quarantine Lambda was killed by its timeout; its attempt stayed RUNNING
    const dead = attemptOf('quarantine', 'RUNNING', '2026-05-01T10:25:00.000Z');
    const run = { ...stuck, currentStage: 'quarantine' };

    // Act
    const decision = reconcileRun(run, [dead], { status: 'FAILED', error: 'Error', cause: lambdaCause }, now);

    // Assess
    expect(decision).toMatchObject({
      action: 'end',
      end: {
        failure: {
          stage: 'quarantine',
          name: 'ExecutionFailed',
          message: 'the execution failed: Error: quarantine could not copy the file',
        },
      },
      unfinished: [dead],
    });
    expect(JSON.stringify(decision)).not.toContain('/var/task');
  });

  it('leaves an aborted or timed-out run to a stage Lambda that may still be running, not to a dead one', () => {
    // Prepare: an abort does not stop the Lambda in flight; Lambda stops it after 15 minutes at most
    const recent = attemptOf('version', 'RUNNING', '2026-05-01T10:20:00.000Z');
    const dead = attemptOf('version', 'RUNNING', '2026-05-01T10:10:00.000Z');

    // Act / Assess
    for (const status of ['ABORTED', 'TIMED_OUT']) {
      expect(reconcileRun(stuck, [recent], { status }, now)).toEqual({
        action: 'keep',
        reason: 'stage-in-flight',
      });
      expect(reconcileRun(stuck, [dead], { status }, now)).toMatchObject({
        action: 'end',
        unfinished: [dead],
      });
    }
  });

  it('keeps a run whose execution goes on, does not exist, or that has ended', () => {
    expect(reconcileRun(stuck, [], { status: 'RUNNING' }, now)).toMatchObject({ action: 'keep' });
    expect(reconcileRun(stuck, [], { status: 'PENDING_REDRIVE' }, now)).toMatchObject({ action: 'keep' });
    expect(reconcileRun(stuck, [], undefined, now)).toEqual({ action: 'keep', reason: 'execution-unknown' });
    const failed = { ...stuck, status: 'FAILED' as const };
    expect(reconcileRun(failed, [], { status: 'ABORTED' }, now)).toEqual({
      action: 'keep',
      reason: 'not-running',
    });
  });

  it('reports rather than ends a RUNNING run whose execution SUCCEEDED', () => {
    expect(reconcileRun(stuck, [], { status: 'SUCCEEDED' }, now)).toEqual({
      action: 'report',
      reason: 'execution-succeeded',
    });
  });

  it('never ends a run SUCCEEDED, and ends it only for an execution that ended without success', () => {
    const statuses = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE', 'NEW'];
    fc.assert(
      fc.property(fc.constantFrom(...statuses), status, (executionStatus, runStatus) => {
        const decision = reconcileRun({ ...stuck, status: runStatus }, [], { status: executionStatus }, now);
        const ends = runStatus === 'RUNNING' && ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(executionStatus);
        expect(decision.action === 'end').toBe(ends);
        if (decision.action === 'end') expect(decision.end.status).toBe('FAILED');
      }),
    );
  });
});

/** A run store holding one run, whose conditional end behaves like the DynamoDB one. */
function storeWith(run: RunRecord, attempts: StageAttempt[] = []) {
  const state = { run: { ...run }, attempts: attempts.map((a) => ({ ...a })) };
  const { store } = fakeRuns();
  store.getRun = async (_tenant, runId) =>
    runId === state.run.runId ? structuredClone({ run: state.run, attempts: state.attempts }) : undefined;
  store.endRun = async (_tenant, _dataset, _runId, end) => {
    if (state.run.status !== 'RUNNING') return false;
    const { status, endedAt, durationMs } = end;
    state.run = { ...state.run, status, endedAt, durationMs, updatedAt: endedAt };
    if (end.status === 'FAILED') state.run.failure = end.failure;
    return true;
  };
  store.endAttempt = async (_tenant, _runId, end) => {
    const attempt = state.attempts.find((a) => a.stage === end.stage && a.attempt === end.attempt);
    if (attempt?.status !== 'RUNNING') return false;
    Object.assign(attempt, end);
    return true;
  };
  return { store, state };
}

function reconcileDeps(
  execution: ExecutionDescription | undefined | Error,
  now = '2026-05-01T10:30:00.000Z',
) {
  const events: RunEvent[] = [];
  const described: string[] = [];
  const logged: string[] = [];
  const logger = { ...silent, error: (message: string) => void logged.push(message) };
  return {
    events,
    described,
    logged,
    reconcile: {
      orchestrator: {
        describeExecution: async (arn: string) => {
          described.push(arn);
          if (execution instanceof Error) throw execution;
          return execution;
        },
      },
      clock: { now: () => new Date(now) },
      logger,
      lineage: {
        dataBucket: 'b',
        sinks: [{ name: 'memory', emit: async (e: RunEvent) => void events.push(e) }],
      },
    },
  };
}

describe('reading a run its execution left RUNNING', () => {
  const aborted: ExecutionDescription = {
    status: 'ABORTED',
    stopDate: '2026-05-01T10:00:09.000Z',
    error: 'OperatorStop',
    cause: 'wrong file',
  };

  it('answers it FAILED, stores it so, closes its open attempts and emits one FAIL event', async () => {
    // Prepare
    const dead = attemptOf('parse', 'RUNNING', '2026-05-01T10:00:05.000Z');
    const { store, state } = storeWith(stuck, [attemptOf('register', 'SUCCEEDED', STARTED), dead]);
    const { reconcile, events } = reconcileDeps(aborted);

    // Act
    const first = await getRun({ runs: store, reconcile }, 'acme', stuck.runId);
    const second = await getRun({ runs: store, reconcile }, 'acme', stuck.runId);

    // Assess
    expect(first).toMatchObject({
      status: 'FAILED',
      endedAt: '2026-05-01T10:00:09.000Z',
      failure: { stage: 'parse', name: 'ExecutionAborted', message: expect.stringContaining('wrong file') },
    });
    expect(first.stages.find((s) => s.stage === 'parse')).toMatchObject({
      status: 'FAILED',
      error: { name: 'ExecutionAborted' },
    });
    expect(state.run.status).toBe('FAILED');
    expect(second).toEqual(first);
    expect(events.map((e) => e.eventType)).toEqual(['FAIL']);
    expect(runEventProblems(events[0])).toEqual([]);
    expect(events[0]?.run.facets?.errorMessage).toMatchObject({
      message: 'ExecutionAborted in stage parse: the execution was aborted: OperatorStop: wrong file',
    });
    expect(events[0]?.eventTime).toBe('2026-05-01T10:00:09.000Z');
  });

  it('lets a stage that ended the run first win, and emits nothing', async () => {
    // Prepare: the run is read RUNNING, then a stage ends it before the read's end is written
    const { store, state } = storeWith(stuck);
    const read = store.getRun;
    let reads = 0;
    store.getRun = async (tenant, runId) => {
      const found = await read(tenant, runId);
      if (reads++ === 0) state.run = { ...state.run, status: 'SUCCEEDED', outcome: 'VERSIONED', version: 3 };
      return found;
    };
    const { reconcile, events } = reconcileDeps(aborted);

    // Act
    const run = await getRun({ runs: store, reconcile }, 'acme', stuck.runId);

    // Assess
    expect(run).toMatchObject({ status: 'SUCCEEDED', outcome: 'VERSIONED', version: 3 });
    expect(events).toEqual([]);
  });

  it('does not ask Step Functions about a run written recently or one that has ended', async () => {
    // Prepare
    const recent = storeWith(stuck).store;
    const ended = storeWith({ ...stuck, status: 'SUCCEEDED', outcome: 'VERSIONED' }).store;
    const { reconcile, described } = reconcileDeps(aborted, '2026-05-01T10:01:00.000Z');
    const later = reconcileDeps(aborted);

    // Act
    const fresh = await getRun({ runs: recent, reconcile }, 'acme', stuck.runId);
    const done = await getRun({ runs: ended, reconcile: later.reconcile }, 'acme', stuck.runId);

    // Assess
    expect(fresh.status).toBe('RUNNING');
    expect(done.status).toBe('SUCCEEDED');
    expect([...described, ...later.described]).toEqual([]);
  });

  it('answers the stored run when Step Functions cannot be asked or its execution SUCCEEDED', async () => {
    // Prepare
    const unreachable = reconcileDeps(new TransientError('DescribeExecution failed transiently'));
    const succeeded = reconcileDeps({ status: 'SUCCEEDED', stopDate: '2026-05-01T10:00:30.000Z' });

    // Act
    const a = await getRun(
      { runs: storeWith(stuck).store, reconcile: unreachable.reconcile },
      'acme',
      stuck.runId,
    );
    const b = await getRun(
      { runs: storeWith(stuck).store, reconcile: succeeded.reconcile },
      'acme',
      stuck.runId,
    );

    // Assess
    expect([a.status, b.status]).toEqual(['RUNNING', 'RUNNING']);
    expect(succeeded.logged).toEqual([expect.stringContaining('SUCCEEDED')]);
    expect([...unreachable.events, ...succeeded.events]).toEqual([]);
  });
});
