/**
 * A pull connector's settings, one per dataset, through the API: put (a new source starts its watermark
 * over), get (settings and state, never a secret) and delete. Runs are started in runs.ts and carried out
 * in pull.ts.
 */
import {
  type ConnectorRecord,
  type ConnectorSettings,
  leaseHeld,
  sourceIdentity,
} from '../../domain/connector-runs.js';
import { namesDeploymentBucket } from '../../domain/connectors.js';
import { isValidName } from '../../domain/object-key.js';
import { InvalidInputError, NotFoundError } from '../../errors.js';
import type { Clock, ConnectorStore, FunctionInvoker } from '../../ports.js';

function checkDataset(dataset: string): void {
  if (!isValidName(dataset)) {
    throw new InvalidInputError('dataset names match [a-z0-9][a-z0-9_-]{0,62}');
  }
}

/** The connector as the API shows it: settings and state, never a secret (there is none to show). */
export function connectorView(record: ConnectorRecord, now: Date) {
  return {
    dataset: record.dataset,
    ...record.settings,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    watermark: record.watermark?.value ?? null,
    nextRunAt: record.settings.enabled ? (record.nextRunAt ?? null) : null,
    running: leaseHeld(record.lease, now) ? (record.lease?.runId ?? null) : null,
    consecutiveFailures: record.consecutiveFailures,
    lastRun: record.lastRun ?? null,
  };
}

export interface ConnectorApiDeps {
  connectors: ConnectorStore;
  invoker: FunctionInvoker;
  clock: Clock;
  /** The deployment's own buckets: never a connector's source. */
  deploymentBuckets: readonly string[];
}

export const OWN_BUCKET_MESSAGE =
  "an s3 source may not name one of this deployment's own buckets: their objects are reachable only " +
  'through the API, scoped to your tenant';

export async function putConnector(
  deps: Pick<ConnectorApiDeps, 'connectors' | 'clock' | 'deploymentBuckets'>,
  tenant: string,
  dataset: string,
  body: ConnectorSettings & { resetWatermark: boolean },
) {
  checkDataset(dataset);
  const { resetWatermark, ...settings } = body;
  if (namesDeploymentBucket(settings.source, deps.deploymentBuckets)) {
    throw new InvalidInputError(OWN_BUCKET_MESSAGE);
  }
  const now = deps.clock.now();
  const existing = await deps.connectors.getConnector(tenant, dataset);
  // A watermark is a position in one source; pointing the connector elsewhere starts over.
  const moved =
    existing?.watermark !== undefined &&
    sourceIdentity(existing.settings.source) !== sourceIdentity(settings.source);
  const record = await deps.connectors.putConnector(tenant, dataset, settings, {
    at: now.toISOString(),
    resetWatermark: resetWatermark || moved,
    existing,
  });
  return connectorView(record, now);
}

export async function getConnector(
  deps: Pick<ConnectorApiDeps, 'connectors' | 'clock'>,
  tenant: string,
  dataset: string,
) {
  const record = await deps.connectors.getConnector(tenant, dataset);
  if (record === undefined) throw new NotFoundError(`dataset "${dataset}" has no connector`);
  return connectorView(record, deps.clock.now());
}

export async function deleteConnector(
  deps: Pick<ConnectorApiDeps, 'connectors'>,
  tenant: string,
  dataset: string,
) {
  if (!(await deps.connectors.deleteConnector(tenant, dataset))) {
    throw new NotFoundError(`dataset "${dataset}" has no connector`);
  }
}
