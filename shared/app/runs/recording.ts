/**
 * Recording pipeline runs: the stage wrapper (shared/lambda/run-recording.ts) calls these around every
 * stage Lambda to open the run, record each attempt of a stage and end the run when a stage's answer ends
 * it. A run whose execution died where no stage could end it is ended here too (endDeadRun, when reading
 * it or restarting its file finds it so). The rules are in domain/run.ts.
 */
import { fileIdFor, type ObjectRef } from '../../domain/file-record.js';
import { parseObjectKey } from '../../domain/object-key.js';
import {
  durationBetween,
  type ExecutionDescription,
  normalizeInstant,
  type RunReconciliation,
  type RunRecord,
  runEndAfter,
  runErrorOf,
  type StageAttempt,
  unfinishedAttempts,
} from '../../domain/run.js';
import { isStrataError } from '../../errors.js';
import type { Clock, Logger, RunStore } from '../../ports.js';
import { lineageAtRunEnd, lineageAtStageStart, type RunLineage } from './openlineage.js';

export interface RunDeps {
  runs: RunStore;
  clock: Clock;
  logger: Logger;
  /** Where the runs' OpenLineage events go (openlineage.ts); none are emitted without it. */
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

/**
 * Ends a run FAILED as reconcileRun decided (its execution ended, or was lost, without a stage ending the
 * run): the attempts it left open first, then the run through the store's conditional end, so a stage
 * ending it at the same time wins cleanly and only the writer of the end emits the FAIL event.
 */
export async function endDeadRun(
  deps: Pick<RunDeps, 'logger' | 'lineage'>,
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
    // FAIL, as the quarantine's would be (openlineage.ts): the cause's stack trace, if a Lambda's.
    const lineageRun = { ...run, runStartedAt: run.startedAt };
    const answer = { state: { error: { Cause: execution?.cause } }, output: undefined };
    await lineageAtRunEnd(deps, lineageRun, end, answer, endedAt);
  }
  return ended;
}

/** Ends attempts that never recorded their end (their Lambda died) with the run's failure. */
export async function failAttempts(
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
