/**
 * Retrying pipeline runs: a FAILED run through the API (`POST /runs/{id}/retry`), and the file of a run
 * that died unfinished, for the fresh/ sweeper (pipeline/sweep.ts).
 */
import { LOST_EXECUTION, normalizeInstant, reconcileRun, retryExecutionName } from '../../domain/run.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import type { Orchestrator } from '../../ports.js';
import type { IngestionInput } from '../../schemas/ingestion.js';
import { endDeadRun, type RunDeps } from './recording.js';

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
