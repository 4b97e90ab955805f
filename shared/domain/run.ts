/**
 * Pipeline runs: every execution of the ingestion state machine is a run, identified by the execution's
 * name (unique per state machine for 90 days, URL-safe; the ARN is kept beside it). The stages record
 * their attempts on it as they go. Pure rules only: statuses and their transitions, how attempts sum up
 * to a stage, what ends a run, how a retry's execution is named, and how a read reconciles a run with
 * its execution.
 */
import type { ObjectRef } from './file-record.js';

export const RUN_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** What a succeeded run produced: a version (current, or held by a gate), or nothing (duplicate content). */
export type RunOutcome = 'VERSIONED' | 'HELD' | 'DUPLICATE';

/**
 * The states of the state machine that record attempts, in the order a run goes through them: a file is
 * parsed whole (parse) or in chunks (scan-<i>, settle, chunk-<i>, merge, then assess-<i>: each chunk's
 * quality before the quality stage folds them), never both. A chunk's attempts are recorded under its
 * family and index (`chunk-3`).
 */
export const RUN_STAGES = [
  'register',
  'split',
  'scan',
  'settle',
  'chunk',
  'parse',
  'merge',
  'validate',
  'profile',
  'assess',
  'quality',
  'drift',
  'version',
  'quarantine',
] as const;

/** Execution names: at most 80 characters of [A-Za-z0-9_-]. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

export interface RunError {
  name: string;
  message: string;
}

/** The run's header: what a listing shows. */
export interface RunRecord {
  runId: string;
  executionArn: string;
  tenant: string;
  dataset: string;
  fileId: string;
  /** The object the execution was started for, exactly as the trigger named it (a retry reuses it). */
  object: ObjectRef;
  status: RunStatus;
  /** The execution's start time. */
  startedAt: string;
  endedAt?: string | undefined;
  durationMs?: number | undefined;
  /** The stage last started. */
  currentStage?: string | undefined;
  outcome?: RunOutcome | undefined;
  version?: number | undefined;
  /** Why a FAILED run failed: the stage whose error was caught, and that error. */
  failure?: (RunError & { stage: string }) | undefined;
  /** The run this one retries, and the run that retried this one. */
  retryOf?: string | undefined;
  retriedBy?: string | undefined;
  retriedAt?: string | undefined;
  updatedAt: string;
}

/** One invocation of a stage within a run (a Step Functions Retry is another attempt). */
export interface StageAttempt {
  stage: string;
  /** `$$.State.RetryCount`: 0 for the first invocation. */
  attempt: number;
  status: RunStatus;
  /** When the state was entered (the same for every attempt of the stage). */
  enteredAt?: string | undefined;
  startedAt: string;
  endedAt?: string | undefined;
  durationMs?: number | undefined;
  error?: RunError | undefined;
}

/** A stage as `GET /runs/{id}` shows it: its attempts summed up. */
export interface StageSummary {
  stage: string;
  status: RunStatus;
  startedAt: string;
  endedAt?: string | undefined;
  /** From the first attempt's start to the last one's end (retry waits included). */
  durationMs?: number | undefined;
  attempts: number;
  error?: RunError | undefined;
  history: StageAttempt[];
}

export interface RunView extends RunRecord {
  stages: StageSummary[];
}

/**
 * RUNNING → SUCCEEDED | FAILED, and nothing leaves a terminal status: a late or repeated write (a Lambda
 * invoked twice, a Step Functions Retry racing a slow attempt) can never undo how a run or attempt ended.
 * Writing the status something already has is allowed (and changes nothing).
 */
export function canMoveRun(from: RunStatus | undefined, to: RunStatus): boolean {
  if (from === undefined || from === 'RUNNING') return true;
  return from === to;
}

export function isTerminal(status: RunStatus): boolean {
  return status !== 'RUNNING';
}

/**
 * How a stage's successful answer ends the run, if it does: register finding duplicate content ends it
 * SUCCEEDED (nothing to do), the version stage ends it SUCCEEDED with the version, the quarantine (the
 * Catch of every stage) ends it FAILED with the caught stage and error. Any other stage leaves it RUNNING.
 */
export type RunEnd =
  | { status: 'SUCCEEDED'; outcome: RunOutcome; version?: number | undefined }
  | { status: 'FAILED'; failure: RunError & { stage: string } };

export function runEndAfter(stage: string, output: unknown, state: unknown): RunEnd | undefined {
  const out = (typeof output === 'object' && output !== null ? output : {}) as Record<string, unknown>;
  if (stage === 'register') {
    return out.outcome === 'DUPLICATE' ? { status: 'SUCCEEDED', outcome: 'DUPLICATE' } : undefined;
  }
  if (stage === 'version') {
    return {
      status: 'SUCCEEDED',
      outcome: out.status === 'HELD' ? 'HELD' : 'VERSIONED',
      ...(typeof out.version === 'number' && { version: out.version }),
    };
  }
  if (stage === 'quarantine') {
    const caught = (typeof state === 'object' && state !== null ? state : {}) as {
      failedStage?: unknown;
      error?: { Error?: unknown; Cause?: unknown };
    };
    const name = String(caught.error?.Error ?? 'UnknownError');
    return {
      status: 'FAILED',
      failure: {
        stage: String(caught.failedStage ?? 'unknown'),
        name,
        message: causeMessage(caught.error?.Cause) ?? name,
      },
    };
  }
  return undefined;
}

/** Lambda errors reach a Catch as `Cause: '{"errorType":…,"errorMessage":…}'`; other causes are text. */
export function causeMessage(cause: unknown): string | undefined {
  if (typeof cause !== 'string' || cause === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed) {
      return truncate(String(parsed.errorMessage));
    }
  } catch {
    // not JSON: keep the text
  }
  return truncate(cause);
}

/** An error as a run records it: the name Step Functions matches on, and a bounded message. */
export function runErrorOf(error: unknown): RunError {
  if (error instanceof Error) return { name: error.name, message: truncate(error.message) };
  return { name: 'Error', message: truncate(String(error)) };
}

function truncate(text: string): string {
  return text.length > 2000 ? `${text.slice(0, 1999)}…` : text;
}

/** Milliseconds between two instants, or undefined when either is missing or unreadable. */
export function durationBetween(start: string | undefined, end: string | undefined): number | undefined {
  if (!start || !end) return undefined;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

/**
 * An instant in the one format runs store (`toISOString`, milliseconds, `Z`): Step Functions' context
 * object and the SDK's dates differ in precision and offset notation, and the listing sorts by it.
 */
export function normalizeInstant(value: string | Date): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not an instant: ${String(value)}`);
  return date.toISOString();
}

/**
 * Stage summaries in pipeline order (unknown stage names last, by name). A stage's status is its last
 * attempt's; it spans from its first attempt's start to its last attempt's end.
 */
export function summarizeStages(attempts: readonly StageAttempt[]): StageSummary[] {
  const byStage = new Map<string, StageAttempt[]>();
  for (const attempt of attempts) {
    const list = byStage.get(attempt.stage) ?? [];
    list.push(attempt);
    byStage.set(attempt.stage, list);
  }
  // `chunk-10` after `chunk-9`: a chunk's family's place, then its index.
  const order = (stage: string): [number, number] => {
    const match = /^(.*)-(\d+)$/.exec(stage);
    const family = match?.[1] ?? stage;
    const index = (RUN_STAGES as readonly string[]).indexOf(family);
    return [index === -1 ? RUN_STAGES.length : index, match ? Number(match[2]) : -1];
  };
  return [...byStage.entries()]
    .sort(([a], [b]) => {
      const [fa, ia] = order(a);
      const [fb, ib] = order(b);
      return fa - fb || ia - ib || a.localeCompare(b);
    })
    .map(([stage, list]) => {
      const history = [...list].sort((a, b) => a.attempt - b.attempt);
      const first = history[0] as StageAttempt;
      const last = history[history.length - 1] as StageAttempt;
      const startedAt = first.enteredAt ?? first.startedAt;
      return {
        stage,
        status: last.status,
        startedAt,
        ...(last.endedAt && { endedAt: last.endedAt }),
        ...(last.endedAt && { durationMs: durationBetween(startedAt, last.endedAt) }),
        attempts: history.length,
        ...(last.error && { error: last.error }),
        history,
      };
    });
}

/**
 * The attempts a run left RUNNING once it is over: a stage whose Lambda timed out or crashed never
 * recorded its end, and the quarantine that caught it closes it with the caught error.
 */
export function unfinishedAttempts(attempts: readonly StageAttempt[], stage: string): StageAttempt[] {
  return attempts.filter((a) => a.stage === stage && a.status === 'RUNNING');
}

const RETRY_SUFFIX = /-r([1-9]\d{0,4})$/;
const MAX_NAME = 80;

/**
 * The execution name of a retry: the original name with `-r<N>`, N one more than the run retried (a
 * retry of `x-r1` is `x-r2`). Deterministic, so asking twice to retry the same run names the same
 * execution and Step Functions starts it once. Names must be unique per state machine for 90 days.
 */
export function retryExecutionName(runId: string): string {
  const match = RETRY_SUFFIX.exec(runId);
  const root = match ? runId.slice(0, match.index) : runId;
  const next = match ? Number(match[1]) + 1 : 1;
  const name = `${root}-r${next}`;
  if (next > 99_999 || name.length > MAX_NAME || !RUN_ID_PATTERN.test(name)) {
    throw new RangeError(`run ${runId} cannot be retried again: the execution name would be invalid`);
  }
  return name;
}

/** Where a run stands in its retry chain: 0 for a run the trigger started, N for `-r<N>`. */
export function retryNumber(runId: string): number {
  const match = RETRY_SUFFIX.exec(runId);
  return match ? Number(match[1]) : 0;
}

// ---- reconciling a run with its execution ----------------------------------------------------------

/** What Step Functions says of a run's execution (DescribeExecution), without its input and output. */
export interface ExecutionDescription {
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or PENDING_REDRIVE (kept open to newer ones). */
  status: string;
  stopDate?: string | undefined;
  error?: string | undefined;
  cause?: string | undefined;
}

/**
 * How long a RUNNING run must have gone unwritten (`updatedAt`) before reading it asks Step Functions
 * whether its execution is still going. Every stage attempt writes the run as it starts, and most stages
 * take seconds, so a run quiet for 5 minutes is in a long stage (parse may take up to 15) or dead. The
 * threshold is a guard on cost, not a proof of death: it spares a client polling a live run one
 * DescribeExecution per read, and it bounds how long a dead run still reads RUNNING after its last stage
 * started. Whether the run is dead is Step Functions' answer (reconcileRun).
 */
export const RUN_STALE_AFTER_MS = 5 * 60_000;

/** Lambda's hard limit on one invocation: an attempt started longer ago than this runs no more. */
export const LAMBDA_MAX_RUNTIME_MS = 15 * 60_000;

export function isStaleRun(run: Pick<RunRecord, 'status' | 'updatedAt'>, now: Date): boolean {
  if (run.status !== 'RUNNING') return false;
  const last = Date.parse(run.updatedAt);
  return !Number.isFinite(last) || now.getTime() - last >= RUN_STALE_AFTER_MS;
}

export type FailedRunEnd = Extract<RunEnd, { status: 'FAILED' }>;

export type RunReconciliation =
  /** Nothing to do: the run has ended, its execution goes on (or is unknown), or a stage may still end it. */
  | {
      action: 'keep';
      reason: 'not-running' | 'execution-unknown' | 'execution-running' | 'stage-in-flight';
    }
  /** The execution ended without a stage ending the run: end it FAILED, closing the attempts left open. */
  | {
      action: 'end';
      end: FailedRunEnd;
      endedAt: string;
      durationMs?: number | undefined;
      unfinished: StageAttempt[];
    }
  /**
   * The execution SUCCEEDED with the run still RUNNING. The version stage (or register, for a duplicate)
   * ends the run before it answers, so this does not happen; and the execution's output cannot end it
   * faithfully (it names no schema for the COMPLETE event, nor the reference version). Left as it is.
   */
  | { action: 'report'; reason: 'execution-succeeded' };

const EXECUTION_ENDS: Readonly<Record<string, { name: string; what: string } | undefined>> = {
  FAILED: { name: 'ExecutionFailed', what: 'the execution failed' },
  TIMED_OUT: { name: 'ExecutionTimedOut', what: 'the execution timed out' },
  ABORTED: { name: 'ExecutionAborted', what: 'the execution was aborted' },
  LOST: { name: 'ExecutionLost', what: 'Step Functions no longer knows the execution' },
};

/**
 * Stands for the execution of a recorded run that Step Functions does not know: a run is opened only for
 * an execution that started, so it was lost (a local Step Functions restarted without its state, a state
 * machine replaced with its executions). Not a Step Functions status: whoever passes it to reconcileRun
 * has concluded that much; reading a run does not (an unknown execution keeps the run as it is there).
 */
export const LOST_EXECUTION: ExecutionDescription = { status: 'LOST' };

/**
 * What reading a RUNNING run does once Step Functions has described its execution (undefined: it does
 * not exist). An execution that ended FAILED, TIMED_OUT or ABORTED while the run is RUNNING died where
 * no stage could record it (the quarantine itself failed, the 2 h timeout, StopExecution): the run ends
 * FAILED with `ExecutionFailed` / `ExecutionTimedOut` / `ExecutionAborted` in the stage it was in, at the
 * execution's stop. A timeout or an abort does not stop the Lambda then running, and it may still end the
 * run (the version stage writes its version and ends it SUCCEEDED): while an attempt that started less
 * than Lambda's 15 minutes ago is RUNNING, the run is left to it. A FAILED execution waited for every
 * Lambda it invoked, so what it left RUNNING is dead.
 */
export function reconcileRun(
  run: RunRecord,
  attempts: readonly StageAttempt[],
  execution: ExecutionDescription | undefined,
  now: Date,
): RunReconciliation {
  if (run.status !== 'RUNNING') return { action: 'keep', reason: 'not-running' };
  if (!execution) return { action: 'keep', reason: 'execution-unknown' };
  if (execution.status === 'SUCCEEDED') return { action: 'report', reason: 'execution-succeeded' };
  const ending = EXECUTION_ENDS[execution.status];
  // RUNNING, PENDING_REDRIVE (a redrive goes on with it), or a status newer than this code.
  if (!ending) return { action: 'keep', reason: 'execution-running' };
  const unfinished = attempts.filter((a) => a.status === 'RUNNING');
  const inFlight = (a: StageAttempt) => now.getTime() - Date.parse(a.startedAt) < LAMBDA_MAX_RUNTIME_MS;
  if (execution.status !== 'FAILED' && unfinished.some(inFlight)) {
    return { action: 'keep', reason: 'stage-in-flight' };
  }
  const endedAt = execution.stopDate ? normalizeInstant(execution.stopDate) : now.toISOString();
  return {
    action: 'end',
    end: {
      status: 'FAILED',
      failure: {
        stage: run.currentStage ?? 'unknown',
        name: ending.name,
        message: executionEndMessage(ending.what, execution),
      },
    },
    endedAt,
    durationMs: durationBetween(run.startedAt, endedAt),
    unfinished,
  };
}

/**
 * `the execution was aborted: <error>: <cause>`. A Lambda's cause is cut down to its errorMessage (no
 * stack trace), any cause is bounded; the execution's input and output are never read.
 */
function executionEndMessage(what: string, execution: ExecutionDescription): string {
  const cause = causeMessage(execution.cause);
  const detail = [execution.error, cause].filter((part) => part !== undefined && part !== '').join(': ');
  return truncate(detail ? `${what}: ${detail}` : what);
}
