/**
 * The safety net under the S3 → trigger → Step Functions path. A notification can be lost (the trigger
 * throttled past its retries, a deploy swapping the notification configuration, a region event), and an
 * object in fresh/ that never started a pipeline would sit there unnoticed. Every few minutes this looks
 * at the objects of fresh/ that settled long enough ago to have been registered, and starts the pipeline
 * for each one that has no file record. The execution name is derived from the object, so an object
 * whose pipeline is merely slow (started, not yet registered) is not started twice.
 *
 * An execution can also die after register, where no stage records it: the quarantine Lambda itself
 * failing through an outage, a timeout, an abort, or a local Step Functions restarted without its state.
 * Its file keeps a record the pipeline never finished, so the record alone does not prove the file was
 * taken care of: such a file is restarted as a retry of its dead run (runs/retries.ts
 * `restartStalledRun`), while one whose execution still runs is left to it.
 */
import { executionNameFor, fileIdFor, type ObjectRef, pipelineUnfinished } from '../../domain/file-record.js';
import { lifecyclePrefix, parseObjectKey } from '../../domain/object-key.js';
import type { Clock, Logger, MetadataStore, ObjectLister, Orchestrator, RunStore } from '../../ports.js';
import type { IngestionInput } from '../../schemas/ingestion.js';
import { restartStalledRun } from '../runs/retries.js';

export interface SweepDeps {
  objects: ObjectLister;
  files: Pick<MetadataStore, 'getFile'>;
  runs: RunStore;
  orchestrator: Orchestrator;
  clock: Clock;
  logger: Logger;
}

export interface SweepOptions {
  /** Objects younger than this are the trigger's: it normally registers them within seconds. */
  settleMs: number;
  /** Objects older than this were swept by earlier runs already; bounds the work per run. */
  lookbackMs: number;
  /** Starts (or restarts) at most this many executions per run (the rest wait for the next). */
  maxStarts: number;
  prefix?: string;
}

export const DEFAULT_SWEEP: SweepOptions = {
  settleMs: 15 * 60_000,
  lookbackMs: 3 * 24 * 60 * 60_000,
  maxStarts: 200,
};

export interface SweepResult {
  examined: number;
  /** Objects without a file record whose pipeline this run started. */
  started: Array<{ key: string; executionArn: string }>;
  /** Without a record, but their execution already existed (still running, or ended before registering). */
  alreadyStarted: number;
  /** Files the pipeline left unfinished whose dead run this run retried (`<run>-r<N>`). */
  restarted: Array<{ key: string; runId: string; retryOf: string; executionArn: string }>;
  /** Files the pipeline has not finished whose newest execution still runs. */
  inProgress: number;
  /** More objects to start or files to restart than `maxStarts`: the next run continues. */
  more: boolean;
}

export async function sweepFresh(
  deps: SweepDeps,
  options: SweepOptions = DEFAULT_SWEEP,
): Promise<SweepResult> {
  const now = deps.clock.now().getTime();
  const result: SweepResult = {
    examined: 0,
    started: [],
    alreadyStarted: 0,
    restarted: [],
    inProgress: 0,
    more: false,
  };
  for await (const object of deps.objects.listCurrent(options.prefix ?? lifecyclePrefix('fresh'))) {
    if (object.key.endsWith('/')) continue;
    const age = now - object.lastModified.getTime();
    if (age < options.settleMs || age > options.lookbackMs) continue;
    result.examined++;
    const ref: ObjectRef = {
      bucket: deps.objects.bucket,
      key: object.key,
      versionId: object.versionId,
      eTag: object.eTag,
    };
    // A key that names no tenant has no record to find; its execution (started or not) quarantines it.
    const tenant = tenantOf(object.key);
    const record = tenant === undefined ? undefined : await deps.files.getFile(tenant, fileIdFor(ref));
    if (record !== undefined && !pipelineUnfinished(record)) continue;
    if (result.started.length + result.restarted.length >= options.maxStarts) {
      result.more = true;
      break;
    }
    if (tenant !== undefined && record !== undefined) {
      const restart = await restartStalledRun(deps, tenant, executionNameFor(ref));
      if (restart.action === 'restarted') {
        const { runId, retryOf, executionArn } = restart;
        result.restarted.push({ key: object.key, runId, retryOf, executionArn });
        deps.logger.warn('restarted the pipeline of a file whose execution died unfinished', {
          key: object.key,
          runId,
          retryOf,
        });
      } else if (restart.action === 'running') result.inProgress++;
      else
        deps.logger.warn('a file the pipeline left unfinished has no run to retry', {
          key: object.key,
          ...restart,
        });
      continue;
    }
    const input: IngestionInput = {
      object: ref,
      size: object.size,
      eventTime: object.lastModified.toISOString(),
    };
    const { executionArn, started } = await deps.orchestrator.startIngestion(executionNameFor(ref), input);
    if (started) {
      result.started.push({ key: object.key, executionArn });
      deps.logger.warn('started the pipeline of an object whose event never did', {
        key: object.key,
        executionArn,
      });
    } else result.alreadyStarted++;
  }
  deps.logger.info('fresh/ swept', {
    examined: result.examined,
    started: result.started.length,
    alreadyStarted: result.alreadyStarted,
    restarted: result.restarted.length,
    inProgress: result.inProgress,
    more: result.more,
  });
  return result;
}

function tenantOf(key: string): string | undefined {
  try {
    return parseObjectKey(key).tenant;
  } catch {
    return undefined;
  }
}
