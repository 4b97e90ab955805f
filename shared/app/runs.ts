/**
 * Pipeline runs: recording (called by the stage wiring around every stage Lambda, see
 * shared/run-recorder.ts), reading (`GET /runs/{id}`, reconciled with its execution, and
 * `GET /datasets/{name}/runs`) and retrying
 * (`POST /runs/{id}/retry`). The rules are in domain/run.ts.
 */
import { fileIdFor, type ObjectRef } from '../domain/file-record.js';
import { parseObjectKey } from '../domain/object-key.js';
import {
  durationBetween,
  type ExecutionDescription,
  isStaleRun,
  LOST_EXECUTION,
  normalizeInstant,
  type RunReconciliation,
  type RunRecord,
  type RunStatus,
  type RunView,
  reconcileRun,
  retryExecutionName,
  runEndAfter,
  runErrorOf,
  type StageAttempt,
  summarizeStages,
  unfinishedAttempts,
} from '../domain/run.js';
import { ConflictError, isStrataError, NotFoundError } from '../errors.js';
import type { Clock, Logger, Orchestrator, Page, RunStore } from '../ports.js';
import type { IngestionInput } from '../schemas/ingestion.js';
import { lineageAtRunEnd, lineageAtStageStart, type RunLineage } from './run-lineage.js';

export interface RunDeps {
  runs: RunStore;
  clock: Clock;
  logger: Logger;
  /** Where the runs' OpenLineage events go (app/run-lineage.ts); none are emitted without it. */
  lineage?: RunLineage | undefined;
}

/**
 * What the state machine hands every stage beside its state (see `stage()` in infra/stack.ts): the
 * execution (`$$.Execution.Name`, `.Id`, `.StartTime`), the stage, and which attempt of it this is
 * (`$$.State.RetryCount`, `$$.State.EnteredTime`).
 */
export interface RunContext {
  id: string;
  arn: string;
  startedAt: string;
  stage: string;
  attempt: number;
  enteredAt?: string | undefined;
}

/** One stage attempt being recorded, from its start to its end. */
export interface StageRecording {
  context: RunContext;
  tenant: string;
  dataset: string;
  runStartedAt: string;
  attemptStartedAt: string;
}

interface RunSubject {
  tenant: string;
  dataset: string;
  fileId: string;
  object: ObjectRef;
  retryOf?: string | undefined;
}

/**
 * Whose run this is: every state carries the object the execution was started for (`state.object`,
 * `fresh/<tenant>/<dataset>/…`). A key that names no tenant has no run to record: it belongs to nobody.
 */
export function runSubject(state: unknown): RunSubject | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const { object, retryOf } = state as { object?: unknown; retryOf?: unknown };
  if (typeof object !== 'object' || object === null) return undefined;
  const ref = object as Partial<ObjectRef>;
  if (typeof ref.bucket !== 'string' || typeof ref.key !== 'string') return undefined;
  let parts: ReturnType<typeof parseObjectKey>;
  try {
    parts = parseObjectKey(ref.key);
  } catch (error) {
    if (isStrataError(error)) return undefined;
    throw error;
  }
  const exact: ObjectRef = {
    bucket: ref.bucket,
    key: ref.key,
    ...(typeof ref.versionId === 'string' && { versionId: ref.versionId }),
    ...(typeof ref.eTag === 'string' && { eTag: ref.eTag }),
  };
  return {
    tenant: parts.tenant,
    dataset: parts.dataset,
    fileId: fileIdFor(exact),
    object: exact,
    ...(typeof retryOf === 'string' && { retryOf }),
  };
}

/** Opens the run if this is its first stage, and records this attempt of the stage as RUNNING. */
export async function recordStageStart(
  deps: RunDeps,
  context: RunContext,
  state: unknown,
): Promise<StageRecording | undefined> {
  const subject = runSubject(state);
  if (!subject) {
    deps.logger.warn('run not recorded: the object names no tenant', { runId: context.id });
    return undefined;
  }
  const now = deps.clock.now().toISOString();
  const runStartedAt = normalizeInstant(context.startedAt);
  await Promise.all([
    deps.runs.openRun(
      {
        runId: context.id,
        executionArn: context.arn,
        tenant: subject.tenant,
        dataset: subject.dataset,
        fileId: subject.fileId,
        object: subject.object,
        startedAt: runStartedAt,
        ...(subject.retryOf && { retryOf: subject.retryOf }),
      },
      now,
      context.stage,
    ),
    deps.runs.startAttempt(subject.tenant, context.id, {
      stage: context.stage,
      attempt: context.attempt,
      status: 'RUNNING',
      startedAt: now,
      ...(context.enteredAt && { enteredAt: normalizeInstant(context.enteredAt) }),
    }),
  ]);
  // START, when this is the run's first stage (never throws).
  await lineageAtStageStart(deps, { ...subject, runId: context.id, runStartedAt }, context.stage);
  return {
    context,
    tenant: subject.tenant,
    dataset: subject.dataset,
    runStartedAt,
    attemptStartedAt: now,
  };
}

/**
 * Ends the attempt (SUCCEEDED with the stage's answer, FAILED with its error) and, when the stage's
 * answer ends the run (see runEndAfter), the run. A failed attempt never ends the run: Step Functions may
 * retry it, and if not, the quarantine that catches it ends the run FAILED.
 */
export async function recordStageEnd(
  deps: RunDeps,
  recording: StageRecording,
  state: unknown,
  result: { output: unknown } | { error: unknown },
): Promise<void> {
  const { context, tenant, dataset } = recording;
  const endedAt = deps.clock.now().toISOString();
  const failed = 'error' in result;
  await deps.runs.endAttempt(tenant, context.id, {
    stage: context.stage,
    attempt: context.attempt,
    status: failed ? 'FAILED' : 'SUCCEEDED',
    endedAt,
    durationMs: durationBetween(recording.attemptStartedAt, endedAt),
    ...(failed && { error: runErrorOf(result.error) }),
  });
  if (failed) return;
  const end = runEndAfter(context.stage, result.output, state);
  if (!end) return;
  if (end.status === 'FAILED') {
    // A stage whose Lambda timed out or crashed never recorded its end: close it with the caught error.
    const run = await deps.runs.getRun(tenant, context.id);
    await failAttempts(
      deps.runs,
      tenant,
      context.id,
      unfinishedAttempts(run?.attempts ?? [], end.failure.stage),
      end.failure,
      endedAt,
    );
  }
  const ended = await deps.runs.endRun(tenant, dataset, context.id, {
    ...end,
    endedAt,
    durationMs: durationBetween(recording.runStartedAt, endedAt),
  });
  deps.logger.info(ended ? 'run ended' : 'run had already ended', {
    runId: context.id,
    status: end.status,
    stage: context.stage,
  });
  // COMPLETE or FAIL (never throws); again when the run had ended already: delivering it twice is harmless.
  const subject = runSubject(state);
  if (subject) {
    const run = { ...subject, runId: context.id, runStartedAt: recording.runStartedAt };
    await lineageAtRunEnd(deps, run, end, { state, output: result.output }, endedAt);
  }
}

// ---- reading ---------------------------------------------------------------------------------------

export interface RunReadDeps {
  runs: RunStore;
  /** With these, reading a run reconciles it with its execution (reconcileOnRead); else the stored run. */
  reconcile?: ReconcileDeps | undefined;
}

export interface ReconcileDeps {
  orchestrator: Pick<Orchestrator, 'describeExecution'>;
  clock: Clock;
  logger: Logger;
  /** Where the FAIL event of a run ended here goes (app/run-lineage.ts); none without it. */
  lineage?: RunLineage | undefined;
}

/** `GET /runs/{id}`: the run with its stages (attempts summed up, each attempt kept in `history`). */
export async function getRun(deps: RunReadDeps, tenant: string, runId: string): Promise<RunView> {
  let found = await deps.runs.getRun(tenant, runId);
  if (!found) throw new NotFoundError(`run ${runId} not found`);
  if (deps.reconcile) found = await reconcileOnRead(deps.reconcile, deps.runs, tenant, found);
  return { ...found.run, stages: summarizeStages(found.attempts) };
}

type StoredRun = { run: RunRecord; attempts: StageAttempt[] };

/**
 * A run stays RUNNING until a stage ends it, so an execution that dies where no stage records it (the
 * quarantine Lambda itself fails, the 2 h timeout, StopExecution) would leave it RUNNING for ever. A read
 * of a run quiet for RUN_STALE_AFTER_MS asks Step Functions about its execution and, when it has ended
 * without the run (reconcileRun), ends the run FAILED through the store's conditional end: a stage that
 * ends it at the same time wins cleanly, and only the read whose end was written emits the FAIL event, so
 * it goes out once. Answers with the run as stored afterwards. Step Functions unreachable or refusing:
 * the stored run, and a warning.
 */
async function reconcileOnRead(
  deps: ReconcileDeps,
  runs: RunStore,
  tenant: string,
  found: StoredRun,
): Promise<StoredRun> {
  const { run, attempts } = found;
  const now = deps.clock.now();
  if (!isStaleRun(run, now)) return found;
  let execution: ExecutionDescription | undefined;
  try {
    execution = await deps.orchestrator.describeExecution(run.executionArn);
  } catch (error) {
    deps.logger.warn('run not reconciled: its execution could not be described', { runId: run.runId, error });
    return found;
  }
  const decision = reconcileRun(run, attempts, execution, now);
  const log = { runId: run.runId, executionArn: run.executionArn, execution: execution?.status };
  if (decision.action === 'report') {
    deps.logger.error('run left RUNNING: its execution SUCCEEDED without a stage ending it', log);
    return found;
  }
  if (decision.action === 'keep') {
    if (decision.reason === 'execution-unknown') deps.logger.warn('run left RUNNING: no such execution', log);
    return found;
  }
  await endDeadRun(deps, runs, run, decision, execution);
  return (await runs.getRun(tenant, run.runId)) ?? found;
}

/**
 * Ends a run FAILED as reconcileRun decided (its execution ended, or was lost, without a stage ending the
 * run): the attempts it left open first, then the run through the store's conditional end, so a stage
 * ending it at the same time wins cleanly and only the writer of the end emits the FAIL event.
 */
async function endDeadRun(
  deps: Pick<ReconcileDeps, 'logger' | 'lineage'>,
  runs: RunStore,
  run: RunRecord,
  decision: Extract<RunReconciliation, { action: 'end' }>,
  execution: ExecutionDescription | undefined,
): Promise<boolean> {
  const { end, endedAt, durationMs } = decision;
  await failAttempts(runs, run.tenant, run.runId, decision.unfinished, end.failure, endedAt);
  const ended = await runs.endRun(run.tenant, run.dataset, run.runId, { ...end, endedAt, durationMs });
  deps.logger.info(ended ? 'run ended from its execution' : 'run had already ended', {
    runId: run.runId,
    executionArn: run.executionArn,
    execution: execution?.status,
    failure: end.failure,
  });
  if (ended) {
    // FAIL, as the quarantine's would be (run-lineage.ts): the cause's stack trace, if a Lambda's.
    const lineageRun = { ...run, runStartedAt: run.startedAt };
    const answer = { state: { error: { Cause: execution?.cause } }, output: undefined };
    await lineageAtRunEnd(deps, lineageRun, end, answer, endedAt);
  }
  return ended;
}

/**
 * `GET /datasets/{name}/runs`: newest first (by start), all or in one status, paginated. The stored
 * status: a run its execution left RUNNING shows RUNNING here until a `GET /runs/{id}` reconciles it.
 */
export async function listRuns(
  deps: RunReadDeps,
  tenant: string,
  dataset: string,
  query: { status?: RunStatus | undefined; limit: number; cursor?: string | undefined },
): Promise<{ runs: RunRecord[]; cursor?: string | undefined }> {
  const page: Page<RunRecord> = await deps.runs.listRuns(tenant, dataset, query);
  return { runs: page.items, ...(page.cursor && { cursor: page.cursor }) };
}

/**
 * `GET /datasets/{name}/runs/latest-successful`: the newest SUCCEEDED run, with its stages (a SUCCEEDED
 * run has nothing to reconcile).
 */
export async function latestSuccessfulRun(
  deps: RunReadDeps,
  tenant: string,
  dataset: string,
): Promise<RunView> {
  const [latest] = (await deps.runs.listRuns(tenant, dataset, { status: 'SUCCEEDED', limit: 1 })).items;
  if (!latest) throw new NotFoundError(`dataset ${dataset} has no successful run`);
  return getRun(deps, tenant, latest.runId);
}

// ---- retrying --------------------------------------------------------------------------------------

export interface RetryRunDeps extends RunDeps {
  orchestrator: Orchestrator;
}

export interface RetriedRun {
  runId: string;
  executionArn: string;
  retryOf: string;
  /** False when this retry had been started already (the call was repeated). */
  started: boolean;
}

/**
 * `POST /runs/{id}/retry`: a FAILED run's file goes through the pipeline again, as a new execution (and
 * run) for the same object (bucket, key, version), named `<run>-r<N>` and linked both ways (`retryOf`,
 * `retriedBy`). The name is claimed on the failed run before the execution starts, so repeating the call
 * (or two callers at once) starts one retry and answers with it. Register re-admits the quarantined file
 * (pipeline/register.ts): the stages run again, and on success the file is FRESH with its version.
 */
export async function retryRun(deps: RetryRunDeps, tenant: string, runId: string): Promise<RetriedRun> {
  const found = await deps.runs.getRun(tenant, runId);
  if (!found) throw new NotFoundError(`run ${runId} not found`);
  const { run } = found;
  if (run.status !== 'FAILED') {
    throw new ConflictError(`run ${runId} is ${run.status}: only a FAILED run can be retried`);
  }
  let name: string;
  try {
    name = retryExecutionName(runId);
  } catch (error) {
    throw new ConflictError((error as Error).message);
  }
  const now = deps.clock.now();
  const claim = await deps.runs.claimRetry(tenant, runId, name, now.toISOString());
  if (claim.outcome === 'not-failed') {
    throw new ConflictError(`run ${runId} is not FAILED: only a FAILED run can be retried`);
  }
  const retryId = claim.retriedBy;
  const input: IngestionInput = { object: run.object, retryOf: runId };
  const execution = await deps.orchestrator.startIngestion(retryId, input);
  // The stages open the run too; opening it here makes it visible (and linked) at once.
  await deps.runs.openRun(
    {
      runId: retryId,
      executionArn: execution.executionArn,
      tenant,
      dataset: run.dataset,
      fileId: run.fileId,
      object: run.object,
      startedAt: normalizeInstant(now),
      retryOf: runId,
    },
    now.toISOString(),
  );
  deps.logger.info(execution.started ? 'run retried' : 'run retry already started', {
    runId,
    retryId,
    executionArn: execution.executionArn,
  });
  return { runId: retryId, executionArn: execution.executionArn, retryOf: runId, started: execution.started };
}

// ---- restarting a file the pipeline left unfinished ---------------------------------------------------

export type StalledRestart =
  /** The file's newest run was dead: it is FAILED now, and its retry started (or had been started). */
  | { action: 'restarted'; runId: string; executionArn: string; retryOf: string; started: boolean }
  /** Its newest execution goes on, or a stage of it may still end the run: left to it. */
  | { action: 'running'; runId: string }
  /** Nothing to retry: no run was ever recorded, or the newest one SUCCEEDED (reported, left alone). */
  | { action: 'none'; reason: 'no-run' | 'run-succeeded'; runId?: string };

/**
 * Restarts a file whose record the pipeline left unfinished (see pipelineUnfinished) although its object
 * settled long ago, which a lost event or a missing file record never explains: the execution carrying it
 * died where no stage could record it (the quarantine itself failed, a timeout, an abort), or Step
 * Functions lost it (a local one restarted without its state). Its newest run is found from the
 * trigger's (`firstRunId`, the execution name of the object) along the retry links. While that run's
 * execution runs, nothing is done. When it has ended, or Step Functions does not know it (the run exists,
 * so it was started), the run is ended FAILED as reading it would end it (`ExecutionLost` for an unknown
 * execution) and retried as `POST /runs/{id}/retry` retries it: a new execution `<run>-r<N>`, claimed on
 * the failed run first, so two sweeps (or a sweep and a person) start one. The stages are idempotent and
 * the record's progress is kept, so the file goes through them again to the outcome it was owed.
 */
export async function restartStalledRun(
  deps: RetryRunDeps,
  tenant: string,
  firstRunId: string,
): Promise<StalledRestart> {
  let found = await deps.runs.getRun(tenant, firstRunId);
  if (!found) return { action: 'none', reason: 'no-run' };
  while (found.run.retriedBy !== undefined) {
    const next = await deps.runs.getRun(tenant, found.run.retriedBy);
    // Claimed but not opened (its start failed): retrying this run again starts that claimed name.
    if (!next) break;
    found = next;
  }
  const { run, attempts } = found;
  if (run.status === 'SUCCEEDED') {
    deps.logger.error('file left unfinished by a run that SUCCEEDED', {
      runId: run.runId,
      fileId: run.fileId,
    });
    return { action: 'none', reason: 'run-succeeded', runId: run.runId };
  }
  if (run.status === 'RUNNING') {
    const execution = await deps.orchestrator.describeExecution(run.executionArn);
    const decision = reconcileRun(run, attempts, execution ?? LOST_EXECUTION, deps.clock.now());
    if (decision.action === 'report') {
      deps.logger.error('file left unfinished by an execution that SUCCEEDED', { runId: run.runId });
      return { action: 'none', reason: 'run-succeeded', runId: run.runId };
    }
    if (decision.action === 'keep') return { action: 'running', runId: run.runId };
    if (!(await endDeadRun(deps, deps.runs, run, decision, execution))) {
      // A stage ended the run meanwhile: whatever it ended as, it was not dead.
      const again = await deps.runs.getRun(tenant, run.runId);
      if (again?.run.status !== 'FAILED') return { action: 'running', runId: run.runId };
    }
  }
  const retried = await retryRun(deps, tenant, run.runId);
  return { action: 'restarted', ...retried };
}

/** Ends attempts that never recorded their end (their Lambda died) with the run's failure. */
async function failAttempts(
  runs: RunStore,
  tenant: string,
  runId: string,
  attempts: readonly StageAttempt[],
  failure: { name: string; message: string },
  endedAt: string,
): Promise<void> {
  for (const attempt of attempts) {
    await runs.endAttempt(tenant, runId, {
      stage: attempt.stage,
      attempt: attempt.attempt,
      status: 'FAILED',
      endedAt,
      durationMs: durationBetween(attempt.startedAt, endedAt),
      error: { name: failure.name, message: failure.message },
    });
  }
}
