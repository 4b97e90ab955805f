/**
 * Connector runs: started now through the API, or every minute for each connector that is due, under a
 * lease that keeps one run per connector at a time; and their records read back.
 */
import { randomBytes } from 'node:crypto';
import {
  type ConnectorRecord,
  type ConnectorRunRecord,
  connectorRunId,
  emptyCounts,
  LEASE_MS,
} from '../../domain/connector-runs.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import type { Logger } from '../../ports.js';
import type { ConnectorRunEvent } from './pull.js';
import type { ConnectorApiDeps } from './settings.js';

function newRunId(now: Date): string {
  return connectorRunId(now, randomBytes(4).toString('hex'));
}

/** Starts a run now (whatever the schedule says). 409 while another run holds the lease. */
type RunStarter = Pick<ConnectorApiDeps, 'connectors' | 'invoker' | 'clock'>;

export async function startConnectorRun(deps: RunStarter, tenant: string, dataset: string) {
  const now = deps.clock.now();
  const runId = newRunId(now);
  const leased = await deps.connectors.acquireLease(
    tenant,
    dataset,
    { runId, until: new Date(now.getTime() + LEASE_MS).toISOString(), trigger: 'api' },
    now.toISOString(),
  );
  if (leased === undefined) {
    const record = await deps.connectors.getConnector(tenant, dataset);
    if (record === undefined) throw new NotFoundError(`dataset "${dataset}" has no connector`);
    throw new ConflictError(`run ${record.lease?.runId ?? '?'} is in progress`);
  }
  await invokeOrRelease(deps, leased, runId, now);
  return { runId, status: 'STARTED' as const };
}

export async function getConnectorRun(
  deps: Pick<ConnectorApiDeps, 'connectors'>,
  tenant: string,
  dataset: string,
  runId: string,
): Promise<ConnectorRunRecord> {
  const run = await deps.connectors.getRun(tenant, dataset, runId);
  if (run === undefined) throw new NotFoundError(`connector run ${runId} does not exist`);
  return run;
}

export async function listConnectorRuns(
  deps: Pick<ConnectorApiDeps, 'connectors'>,
  tenant: string,
  dataset: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<{ runs: ConnectorRunRecord[]; cursor?: string | undefined }> {
  // The shape of the pipeline's run listing (`GET /datasets/{name}/runs`).
  const { items, cursor } = await deps.connectors.listRuns(tenant, dataset, page);
  return { runs: items, ...(cursor && { cursor }) };
}

/** A run that could not be started must not hold the lease for 20 minutes. */
async function invokeOrRelease(
  deps: RunStarter,
  record: ConnectorRecord,
  runId: string,
  now: Date,
): Promise<void> {
  try {
    await deps.invoker.invokeAsync({
      tenant: record.tenant,
      dataset: record.dataset,
      runId,
    } satisfies ConnectorRunEvent);
  } catch (error) {
    await deps.connectors.finishRun(record.tenant, record.dataset, runId, {
      nextRunAt: now.toISOString(),
      consecutiveFailures: record.consecutiveFailures,
      lastRun: record.lastRun ?? {
        runId,
        status: 'FAILED',
        startedAt: now.toISOString(),
        counts: emptyCounts(),
        errorRate: 0,
        error: { name: 'InvokeFailed', message: 'the pull function could not be started' },
      },
    });
    throw error;
  }
}

/** Every minute (EventBridge): start each due connector's run, at most `limit` per tick. */
export async function dispatchDueConnectors(
  deps: RunStarter & { logger: Logger },
  limit = 100,
): Promise<{ due: number; started: string[] }> {
  const now = deps.clock.now();
  const due = await deps.connectors.listDue(now.toISOString(), limit);
  const started: string[] = [];
  for (const { tenant, dataset, nextRunAt: dueAt } of due) {
    const runId = newRunId(now);
    const leased = await deps.connectors.acquireLease(
      tenant,
      dataset,
      { runId, until: new Date(now.getTime() + LEASE_MS).toISOString(), trigger: 'schedule' },
      now.toISOString(),
      dueAt,
    );
    // Another tick (or the API) got there first, or the connector was disabled since the query.
    if (leased === undefined) continue;
    try {
      await invokeOrRelease(deps, leased, runId, now);
      started.push(runId);
    } catch (error) {
      deps.logger.error('could not start connector run', { tenant, dataset, runId, error });
    }
  }
  return { due: due.length, started };
}
