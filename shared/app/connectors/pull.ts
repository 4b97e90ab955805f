/**
 * A connector run, in the pull function: reads its source (PostgreSQL, MySQL, REST, another bucket) from
 * the stored watermark and writes each batch into fresh/<tenant>/<dataset>/ for the normal pipeline.
 *
 * Exactly once into fresh/ (see domain/connector-runs.ts): lease → [recover a dead run's pending batch] →
 * per batch: record it as pending → write the content-named file → store its watermark. A failure
 * anywhere leaves the stored watermark at the last written batch; the next run continues from there.
 */
import {
  type ConnectorRecord,
  type ConnectorRunRecord,
  emptyCounts,
  errorRate,
  LEASE_MS,
  leaseHeld,
  nextRunAt,
  type WatermarkState,
} from '../../domain/connector-runs.js';
import {
  type ConnectorConfig,
  type DatabaseConnectorConfig,
  namesDeploymentBucket,
  type RestConnectorConfig,
  redact,
  type S3ConnectorConfig,
} from '../../domain/connectors.js';
import { sha256Hex } from '../../domain/hashing.js';
import { connectorFileKey, copiedObjectKey, detectFormat } from '../../domain/object-key.js';
import { shapeRecords } from '../../domain/source-records.js';
import { isStrataError, SourceError } from '../../errors.js';
import type {
  Clock,
  ConnectorStore,
  DropBox,
  Logger,
  MetricsRecorder,
  SecretStore,
  SourceFactory,
} from '../../ports.js';
import { parquetBytes } from '../io/in-memory-tables.js';
import { OWN_BUCKET_MESSAGE } from './settings.js';

/** What the pull function is invoked with (by the scheduler or the API). */
export interface ConnectorRunEvent {
  tenant: string;
  dataset: string;
  runId: string;
}

export interface PullDeps {
  connectors: ConnectorStore;
  /** fresh/ of the data bucket, write-only: the pull never reads an object of the deployment. */
  drop: DropBox;
  /** The deployment's own buckets: a connector stored before they were refused still cannot copy them. */
  deploymentBuckets: readonly string[];
  sources: SourceFactory;
  secrets: SecretStore;
  clock: Clock;
  logger: Logger;
  metrics?: MetricsRecorder;
  /** Milliseconds left in this invocation (Lambda's context); the pull stops with a margin. */
  remainingMs: () => number;
}

/** Time kept back at the end of an invocation to store the run record and release the lease. */
export const BUDGET_MARGIN_MS = 60_000;

function secretNameOf(source: ConnectorConfig): string | undefined {
  switch (source.type) {
    case 'database':
      return source.secretName;
    case 'rest':
      return source.auth?.secretName;
    case 's3':
      return source.secretName;
  }
}

type Outcome = { status: 'skipped'; reason: string } | { status: 'finished'; run: ConnectorRunRecord };

export async function runConnector(deps: PullDeps, event: ConnectorRunEvent): Promise<Outcome> {
  const { tenant, dataset, runId } = event;
  const started = deps.clock.now();
  const record = await deps.connectors.getConnector(tenant, dataset);
  if (record === undefined) return { status: 'skipped', reason: 'the connector was deleted' };
  // A duplicate event, or one that arrived after its lease ran out: the lease holder (if any) owns the run.
  const lease = record.lease;
  if (lease === undefined || lease.runId !== runId || !leaseHeld(lease, started)) {
    return { status: 'skipped', reason: 'the run does not hold the lease' };
  }
  const previous = await deps.connectors.getRun(tenant, dataset, runId);
  if (previous !== undefined && previous.status !== 'RUNNING') return { status: 'finished', run: previous };

  const source = record.settings.source;
  const run: ConnectorRunRecord = {
    runId,
    tenant,
    dataset,
    sourceType: source.type,
    trigger: lease.trigger,
    status: 'RUNNING',
    startedAt: previous?.startedAt ?? started.toISOString(),
    counts: emptyCounts(),
    errorRate: 0,
    watermarkBefore: record.watermark,
    files: [],
  };
  await deps.connectors.putRun(run);
  const log = { tenant, dataset, runId, sourceType: source.type };
  deps.logger.info('connector run started', { ...log, watermark: record.watermark?.value });

  await closeAbandonedRun(deps, record, started);
  const ctx: PullContext = { deps, record, run, watermark: record.watermark };
  let secret: string | undefined;
  try {
    await recoverPending(ctx);
    const name = secretNameOf(source);
    secret = name === undefined ? undefined : await deps.secrets.getSecret(tenant, name);
    if (source.type === 's3') await pullObjects(ctx, source, secret);
    else await pullRecords(ctx, source, secret);
    run.status = 'SUCCEEDED';
  } catch (error) {
    run.status = 'FAILED';
    const name = isStrataError(error) ? error.name : 'InternalError';
    // Strata errors say what went wrong without values; anything else may carry driver detail, so only
    // its class leaves the logs. A secret is redacted from both either way.
    const message = isStrataError(error) ? error.message : 'unexpected error (see the function logs)';
    run.error = { name, message: redact(message, secret) };
    deps.logger.error('connector run failed', {
      ...log,
      errorName: name,
      errorMessage: redact(error instanceof Error ? error.message : String(error), secret),
    });
  }

  const ended = deps.clock.now();
  run.endedAt = ended.toISOString();
  run.durationMs = ended.getTime() - Date.parse(run.startedAt);
  run.errorRate = errorRate(run.counts);
  run.watermarkAfter = ctx.watermark;
  await deps.connectors.putRun(run);
  const consecutiveFailures = run.status === 'FAILED' ? record.consecutiveFailures + 1 : 0;
  const status = run.status === 'FAILED' ? 'FAILED' : 'SUCCEEDED';
  await deps.connectors.finishRun(tenant, dataset, runId, {
    nextRunAt: nextRunAt(record.settings, { status, more: run.more, consecutiveFailures }, ended),
    consecutiveFailures,
    lastRun: {
      runId,
      status: run.status,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      counts: run.counts,
      errorRate: run.errorRate,
      ...(run.more && { more: true }),
      ...(run.error && { error: run.error }),
    },
  });
  deps.metrics?.add('ConnectorRecordsRead', 'Count', run.counts.read);
  deps.metrics?.add('ConnectorRecordsWritten', 'Count', run.counts.written);
  deps.metrics?.add('ConnectorRecordsFailed', 'Count', run.counts.failed);
  deps.metrics?.add('ConnectorBytesWritten', 'Bytes', run.counts.bytes);
  if (run.status === 'FAILED') deps.metrics?.add('ConnectorRunsFailed', 'Count', 1);
  deps.logger.info('connector run ended', { ...log, status: run.status, counts: run.counts, more: run.more });
  return { status: 'finished', run };
}

/**
 * A run that died holding the lease (a crash, the 15-minute timeout) never wrote its end; the run that
 * takes over after the lease expired closes its record, so no run stays RUNNING for ever.
 */
async function closeAbandonedRun(deps: PullDeps, record: ConnectorRecord, now: Date): Promise<void> {
  const previous = record.previousLease;
  if (previous === undefined || previous.runId === record.lease?.runId) return;
  const run = await deps.connectors.getRun(record.tenant, record.dataset, previous.runId);
  if (run?.status !== 'RUNNING') return;
  await deps.connectors.putRun({
    ...run,
    status: 'FAILED',
    endedAt: now.toISOString(),
    durationMs: now.getTime() - Date.parse(run.startedAt),
    errorRate: errorRate(run.counts),
    error: {
      name: 'RunAbandoned',
      message: 'the run stopped before it finished (crash or timeout); the next run took over',
    },
  });
}

interface PullContext {
  deps: PullDeps;
  record: ConnectorRecord;
  run: ConnectorRunRecord;
  /** The stored watermark as of now. */
  watermark: WatermarkState | undefined;
}

function leaseUntil(ctx: PullContext): string {
  return new Date(ctx.deps.clock.now().getTime() + LEASE_MS).toISOString();
}

/** A dead run's batch: written (store its watermark) or not (forget it; this run pulls it again). */
async function recoverPending(ctx: PullContext): Promise<void> {
  const { deps, record, run } = ctx;
  const pending = record.pending;
  if (pending === undefined) return;
  const written = await Promise.all(pending.keys.map((k) => deps.drop.exists(k)));
  if (written.every(Boolean)) {
    await deps.connectors.commitWatermark(
      record.tenant,
      record.dataset,
      run.runId,
      pending.watermark,
      leaseUntil(ctx),
    );
    ctx.watermark = pending.watermark ?? ctx.watermark;
    run.recovered = pending.keys;
    deps.logger.info('stored the watermark of a batch a previous run had written', {
      runId: run.runId,
      deadRun: pending.runId,
      keys: pending.keys,
    });
  } else {
    // Object copies are named by source identity, so the copies that did land are found again below.
    await deps.connectors.clearPending(record.tenant, record.dataset, run.runId);
  }
}

function outOfTime(ctx: PullContext): boolean {
  if (ctx.deps.remainingMs() >= BUDGET_MARGIN_MS) return false;
  ctx.run.more = true;
  return true;
}

async function pullRecords(
  ctx: PullContext,
  config: DatabaseConnectorConfig | RestConnectorConfig,
  secret: string | undefined,
): Promise<void> {
  const { deps, record, run } = ctx;
  const { tenant, dataset } = record;
  const source = deps.sources.records(config, secret);
  // Without an incremental field every run reads everything; content-named files make an unchanged
  // source write nothing new.
  const from = config.incrementalField === undefined ? undefined : ctx.watermark?.value;
  for await (const batch of source.pull(from)) {
    run.counts.read += batch.read;
    run.counts.skipped += batch.skipped;
    const next: WatermarkState | undefined =
      batch.watermark === undefined ? undefined : { value: batch.watermark };
    let pendingSet = false;
    if (batch.records.length > 0) {
      const shaped = shapeRecords(batch.records, config, batch.columns);
      run.counts.failed += shaped.failed;
      if (shaped.firstFailure !== undefined) {
        deps.logger.warn('records dropped', {
          runId: run.runId,
          failed: shaped.failed,
          why: shaped.firstFailure,
        });
      }
      if (shaped.batch.numRows > 0) {
        const bytes = await parquetBytes(shaped.batch);
        const key = connectorFileKey(tenant, dataset, sha256Hex(bytes), 'parquet');
        await deps.connectors.setPending(
          tenant,
          dataset,
          { keys: [key], watermark: next, runId: run.runId },
          leaseUntil(ctx),
        );
        pendingSet = true;
        const put = await deps.drop.put(key, bytes, {
          contentType: 'application/vnd.apache.parquet',
          metadata: { 'strata-connector-run': run.runId, 'strata-source': config.type },
        });
        if (put.created) {
          run.counts.written += shaped.batch.numRows;
          run.counts.bytes += bytes.length;
          run.counts.files++;
          run.files.push(key);
        }
      }
    }
    if (pendingSet || (next !== undefined && next.value !== ctx.watermark?.value)) {
      await deps.connectors.commitWatermark(
        tenant,
        dataset,
        run.runId,
        next ?? ctx.watermark,
        leaseUntil(ctx),
      );
      ctx.watermark = next ?? ctx.watermark;
    }
    await deps.connectors.putRun(run);
    if (outOfTime(ctx)) break;
  }
}

async function pullObjects(
  ctx: PullContext,
  config: S3ConnectorConfig,
  secret: string | undefined,
): Promise<void> {
  const { deps, record, run } = ctx;
  const { tenant, dataset } = record;
  if (namesDeploymentBucket(config, deps.deploymentBuckets)) throw new SourceError(OWN_BUCKET_MESSAGE);
  const source = deps.sources.objects(config, secret);
  for await (const batch of source.list(ctx.watermark, config.batchSize)) {
    run.counts.read += batch.objects.length + batch.skipped;
    run.counts.skipped += batch.skipped;
    const planned = batch.objects.flatMap((o) => {
      try {
        detectFormat(o.key);
      } catch {
        // Not a format the pipeline reads: copying it would only move it to quarantine.
        run.counts.failed++;
        return [];
      }
      return [
        { object: o, key: copiedObjectKey(tenant, dataset, o.key, sha256Hex(`${o.key}\u0000${o.eTag}`)) },
      ];
    });
    await deps.connectors.setPending(
      tenant,
      dataset,
      { keys: planned.map((p) => p.key), watermark: batch.watermark, runId: run.runId },
      leaseUntil(ctx),
    );
    for (const { object, key } of planned) {
      if (await deps.drop.exists(key)) continue;
      const { created, size } = await deps.drop.write(key, source.read(object.key));
      // Another run copied it since the check: the stored copy is the one that counts.
      if (!created) continue;
      run.counts.written++;
      run.counts.bytes += size;
      run.counts.files++;
      run.files.push(key);
    }
    await deps.connectors.commitWatermark(tenant, dataset, run.runId, batch.watermark, leaseUntil(ctx));
    ctx.watermark = batch.watermark;
    await deps.connectors.putRun(run);
    if (outOfTime(ctx)) break;
  }
}
