/**
 * Pipeline runs: every execution of the ingestion state machine is a run, identified by the execution's
 * name (unique per state machine for 90 days, URL-safe; the ARN is kept beside it). The stages record
 * their attempts on it as they go. Pure rules only: statuses and their transitions, how attempts sum up
 * to a stage, what ends a run, how a retry's execution is named.
 */
import { type ObjectRef, PIPELINE_STAGES } from './file-record.js';

export const RUN_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** What a succeeded run produced: a version (current, or held by a gate), or nothing (duplicate content). */
export type RunOutcome = 'VERSIONED' | 'HELD' | 'DUPLICATE';

/** The states of the state machine that record attempts, in the order a run goes through them. */
export const RUN_STAGES = [...PIPELINE_STAGES, 'quarantine'] as const;
export type RunStage = (typeof RUN_STAGES)[number];

export function isRunStage(name: string): name is RunStage {
  return (RUN_STAGES as readonly string[]).includes(name);
}

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
  const order = (stage: string) => {
    const index = (RUN_STAGES as readonly string[]).indexOf(stage);
    return index === -1 ? RUN_STAGES.length : index;
  };
  return [...byStage.entries()]
    .sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))
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
