/** Pipeline runs: the state machine that executes them and the records of their stages. */
import type { ObjectRef } from '../domain/file-record.js';
import type { ExecutionDescription, RunEnd, RunRecord, RunStatus, StageAttempt } from '../domain/run.js';
import type { Page } from './page.js';

export interface StartedExecution {
  executionArn: string;
  /** False when the execution for this name already existed (a duplicate event). */
  started: boolean;
}

export interface Orchestrator {
  startIngestion(name: string, input: unknown): Promise<StartedExecution>;
  /** Status, stop and error of an execution of the state machine (never its data); undefined if none. */
  describeExecution(executionArn: string): Promise<ExecutionDescription | undefined>;
}

/** What opens a run: facts of its execution, written by whoever sees the run first and never changed. */
export interface RunStart {
  runId: string;
  executionArn: string;
  tenant: string;
  dataset: string;
  fileId: string;
  object: ObjectRef;
  startedAt: string;
  retryOf?: string | undefined;
}

export interface RunQuery {
  status?: RunStatus | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Pipeline runs (domain/run.ts): one per execution, with an item per stage attempt; every write idempotent. */
export interface RunStore {
  /** Creates the run (RUNNING) unless it exists, and marks the stage it is in. */
  openRun(run: RunStart, at: string, currentStage?: string): Promise<void>;
  /** Records an attempt as RUNNING, once per (run, stage, attempt). */
  startAttempt(tenant: string, runId: string, attempt: StageAttempt): Promise<void>;
  /** Ends a RUNNING attempt; false when it had ended already (or never started). */
  endAttempt(
    tenant: string,
    runId: string,
    end: Pick<StageAttempt, 'stage' | 'attempt' | 'status' | 'endedAt' | 'durationMs' | 'error'>,
  ): Promise<boolean>;
  /** Ends a RUNNING run (and moves it in the status index); false when it had ended already. */
  endRun(
    tenant: string,
    dataset: string,
    runId: string,
    end: RunEnd & { endedAt: string; durationMs?: number | undefined },
  ): Promise<boolean>;
  getRun(tenant: string, runId: string): Promise<{ run: RunRecord; attempts: StageAttempt[] } | undefined>;
  /** A dataset's runs, newest first by start, all or in one status. */
  listRuns(tenant: string, dataset: string, query: RunQuery): Promise<Page<RunRecord>>;
  /**
   * Names the retry of a FAILED run, once: the first caller claims it, later ones learn the name already
   * claimed (`already-retried`); `not-failed` when the run is missing or not FAILED.
   */
  claimRetry(
    tenant: string,
    runId: string,
    retryRunId: string,
    at: string,
  ): Promise<{ outcome: 'claimed' | 'already-retried'; retriedBy: string } | { outcome: 'not-failed' }>;
}
