import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RunContext, runSubject } from '../../shared/app/runs.js';
import { executionNameFor, fileIdFor } from '../../shared/domain/file-record.js';
import {
  canMoveRun,
  causeMessage,
  normalizeInstant,
  RUN_ID_PATTERN,
  RUN_STATUSES,
  type RunStatus,
  retryExecutionName,
  retryNumber,
  runEndAfter,
  type StageAttempt,
  summarizeStages,
  unfinishedAttempts,
} from '../../shared/domain/run.js';
import { ParseError, TransientError } from '../../shared/errors.js';
import type { RunStart, RunStore } from '../../shared/ports.js';
import { recordRuns } from '../../shared/run-recorder.js';

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
