/**
 * Reading pipeline runs: `GET /runs/{id}` (reconciled with its execution), `GET /datasets/{name}/runs`
 * and `GET /datasets/{name}/runs/latest-successful`.
 */
import {
  type ExecutionDescription,
  isStaleRun,
  type RunRecord,
  type RunStatus,
  type RunView,
  reconcileRun,
  type StageAttempt,
  summarizeStages,
} from '../../domain/run.js';
import { NotFoundError } from '../../errors.js';
import type { Clock, Logger, Orchestrator, Page, RunStore } from '../../ports.js';
import type { RunLineage } from './openlineage.js';
import { endDeadRun } from './recording.js';

export interface RunReadDeps {
  runs: RunStore;
  /** With these, reading a run reconciles it with its execution (reconcileOnRead); else the stored run. */
  reconcile?: ReconcileDeps | undefined;
}

export interface ReconcileDeps {
  orchestrator: Pick<Orchestrator, 'describeExecution'>;
  clock: Clock;
  logger: Logger;
  /** Where the FAIL event of a run ended here goes (openlineage.ts); none without it. */
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
 * `GET /datasets/{name}/runs`: newest first (by start), all or in one status, paginated. The stored
 * status: a run its execution left RUNNING shows RUNNING here until a `GET /runs/{id}` reconciles it.
 */
export async function listRuns(
  deps: RunReadDeps,
  tenant: string,
  dataset: string,
  query: { status?: RunStatus | undefined; limit: number; cursor?: string | undefined },
): Promise<{ runs: RunRecord[]; nextCursor?: string | undefined }> {
  const page: Page<RunRecord> = await deps.runs.listRuns(tenant, dataset, query);
  // `nextCursor`, as every other page of the API names it (and the route's answer schema says).
  return { runs: page.items, ...(page.cursor && { nextCursor: page.cursor }) };
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
