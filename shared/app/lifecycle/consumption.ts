/**
 * `POST /training-sets/{id}/consume`: a training job has read a training set. Every file in it counts one
 * use by that job, exactly once per (file, job) whatever the retries and concurrent callers, and then
 * moves to the status its use calls for (FRESH → USED, USED → ARCHIVED past the policy's threshold).
 */
import type { FileRecord } from '../../domain/file-record.js';
import {
  type ConsumptionResult,
  DEFAULT_ARCHIVE_AFTER_USES,
  summarizeConsumption,
} from '../../domain/lifecycle.js';
import { FileNotConsumableError, NotFoundError } from '../../errors.js';
import type { TrainingSetStore } from '../../ports.js';
import { type MoveDeps, mapLimit, settleFile } from './moves.js';

export interface ConsumeDeps extends MoveDeps {
  trainingSets: TrainingSetStore;
}

export interface ConsumeResponse extends ConsumptionResult {
  /** Every move finished; the answer is stored and a repeated call returns it. */
  complete: boolean;
  /** Files whose move did not finish (it will: on a repeated call, or by the scheduled repair pass). */
  pendingMoves: string[];
  /** This answer is the stored one of an earlier call; nothing was done again. */
  replayed: boolean;
}

/** Usage updates are one small request each; moves are several S3 and DynamoDB requests each. */
const COUNT_CONCURRENCY = 16;
const MOVE_CONCURRENCY = 8;

export async function consumeTrainingSet(
  deps: ConsumeDeps,
  tenant: string,
  trainingSetId: string,
  jobId: string,
): Promise<ConsumeResponse> {
  const set = await deps.trainingSets.getTrainingSet(tenant, trainingSetId);
  if (!set) throw new NotFoundError(`training set "${trainingSetId}" not found`);
  const claim = await deps.lifecycle.claimConsumption(
    tenant,
    trainingSetId,
    jobId,
    deps.clock.now().toISOString(),
  );
  if (claim.result) return { ...claim.result, complete: true, pendingMoves: [], replayed: true };

  const stored = await deps.lifecycle.getRetentionPolicy(tenant);
  const archiveAfterUses = stored?.policy.archiveAfterUses ?? DEFAULT_ARCHIVE_AFTER_USES;
  // The claim's instant, not this call's: a retry records the use at the same time the first call did.
  const usage = { jobId, trainingSetId, at: claim.startedAt };
  const counts = await mapLimit(set.fileIds, COUNT_CONCURRENCY, (fileId) =>
    deps.lifecycle.recordUsage(tenant, fileId, usage),
  );

  const records = new Map<string, FileRecord | undefined>();
  const pendingMoves: string[] = [];
  const cause = { reason: `training job ${jobId} (training set ${trainingSetId})`, jobId };
  await mapLimit(set.fileIds, MOVE_CONCURRENCY, async (fileId, i) => {
    const count = counts[i];
    records.set(fileId, count?.outcome === 'missing' ? undefined : count?.record);
    if (count?.outcome !== 'counted' && count?.outcome !== 'already-counted') return;
    try {
      records.set(fileId, await settleFile(deps, count.record, archiveAfterUses, cause));
    } catch (error) {
      // The use is recorded; the move is finished later. The job should not fail for housekeeping.
      deps.logger.warn('move after consumption did not finish', { fileId, trainingSetId, jobId, error });
      pendingMoves.push(fileId);
    }
  });

  const result = summarizeConsumption({
    trainingSetId,
    jobId,
    consumedAt: claim.startedAt,
    fileIds: set.fileIds,
    records,
  });
  deps.logger.info('training set consumed', {
    trainingSetId,
    jobId,
    counted: result.counted.length,
    moved: result.moved.length,
    pending: pendingMoves.length,
  });
  if (pendingMoves.length > 0) return { ...result, complete: false, pendingMoves, replayed: false };
  // Concurrent callers compute the same answer from the same state; the first one stored is everyone's.
  const answer = await deps.lifecycle.completeConsumption(claim, result);
  return { ...answer, complete: true, pendingMoves: [], replayed: false };
}

export interface FileConsumed {
  fileId: string;
  jobId: string;
  /** counted: this call recorded the use; already-counted: the job's use was recorded before. */
  outcome: 'counted' | 'already-counted';
  status: FileRecord['status'];
  usageCount: number;
  /** The move its use called for did not finish yet (a repeated call, or the scheduled repair, ends it). */
  pendingMove: boolean;
}

/**
 * `POST /files/{id}/consume`: a training job read one file by itself (not through a training set). The use
 * counts exactly once per (file, job), the same count a training set's consume keeps, so a job that marks
 * a file and also consumes a set holding it counts once; then the file moves as its use calls for.
 */
export async function consumeFile(
  deps: MoveDeps,
  tenant: string,
  fileId: string,
  jobId: string,
): Promise<FileConsumed> {
  const at = deps.clock.now().toISOString();
  const count = await deps.lifecycle.recordUsage(tenant, fileId, { jobId, at });
  if (count.outcome === 'missing') throw new NotFoundError(`file "${fileId}" not found`);
  if (count.outcome === 'not-consumable') {
    throw new FileNotConsumableError(
      `file "${fileId}" is ${count.record.status}: only fresh, used and archived files are read for training`,
    );
  }
  const stored = await deps.lifecycle.getRetentionPolicy(tenant);
  const archiveAfterUses = stored?.policy.archiveAfterUses ?? DEFAULT_ARCHIVE_AFTER_USES;
  let record: FileRecord | undefined = count.record;
  let pendingMove = false;
  try {
    record = await settleFile(deps, count.record, archiveAfterUses, {
      reason: `training job ${jobId}`,
      jobId,
    });
  } catch (error) {
    // The use is recorded; the move is finished later. The job should not fail for housekeeping.
    deps.logger.warn('move after consumption did not finish', { fileId, jobId, error });
    pendingMove = true;
  }
  const current = record ?? count.record;
  deps.logger.info('file consumed', { fileId, jobId, outcome: count.outcome, status: current.status });
  return {
    fileId,
    jobId,
    outcome: count.outcome,
    status: current.status,
    usageCount: current.usageCount ?? 0,
    pendingMove,
  };
}
