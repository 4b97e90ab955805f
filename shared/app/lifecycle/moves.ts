/**
 * The move protocol: how a file's object goes from one lifecycle prefix to the next without ever being
 * lost, whatever crashes, retries or concurrent workers do.
 *
 * 1. marker   the intent is written first, in one transaction that also checks the record is still at
 *             the source and claims the destination key for this file (two uploads to one fresh/ key
 *             cannot both move to the same used/ key). The marker carries a lease: one worker at a time
 *             carries the move out; a failing owner releases it, a crashed owner's runs out;
 * 2. copy     server-side, of the exact source version, only to a free key (S3 copies are not reliably
 *             create-only: MinIO overwrites);
 * 3. verify   the destination has the source's size and ETag (or, failing the ETag, the file's SHA-256);
 *             an object no move put there sends the file to its fallback key (a folder named by its id);
 * 4. record   status, key, key version, status index and history in one conditional update;
 * 5. delete   the source key gets a delete marker (the version stays until the noncurrent-version rule
 *             expires it), unless a newer upload holds the key: that one is another file;
 * 6. clear    the marker goes.
 *
 * Whoever owns the marker (the mover, a worker that finds it with its lease run out, the repair pass
 * `reconcileMoves`) runs `finishMove`, which goes on from whatever step the last owner stopped at: an
 * existing copy is verified instead of written again, the record update is conditional on the source
 * state (or finds the destination state already there), the delete checks the source first and clearing
 * is conditional on the move id. Before step 4 the file is findable at the source (the record says so);
 * after it at the destination; the source version is kept either way.
 */
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FileRecord, FileStatus, ObjectRef } from '../../domain/file-record.js';
import {
  type MoveMarker,
  movesObject,
  nextStatusForUse,
  prefixOf,
  UNVERSIONED,
  versionAtKey,
} from '../../domain/lifecycle.js';
import { destinationKey } from '../../domain/object-key.js';
import { ConflictError, InternalError, isStrataError, TransientError } from '../../errors.js';
import type { Clock, LifecycleStore, Logger, ObjectStore } from '../../ports.js';

export interface MoveDeps {
  lifecycle: LifecycleStore;
  store: ObjectStore;
  clock: Clock;
  logger: Logger;
}

/** Why a file moves; recorded in its state history (the job id lets a consumption find its moves). */
export interface MoveCause {
  reason: string;
  jobId?: string | undefined;
}

/** A freshly written copy may not be visible to a HEAD at once. */
const VISIBILITY_ATTEMPTS = 4;
/** How long a worker owns a move it started or took over; a crashed owner's move is free after this. */
const LEASE_MS = 5 * 60_000;
/** How long a worker waits for another worker's move of the same file before leaving it to later. */
const WAIT_FOR_OWNER_MS = 10_000;

/**
 * Moves a file one status forward. Returns the record afterwards: at `to` when this call (or the worker
 * it waited for) moved it, otherwise as it now is, for the caller to decide again.
 */
export async function moveFile(
  deps: MoveDeps,
  record: FileRecord,
  to: FileStatus,
  cause: MoveCause,
): Promise<FileRecord | undefined> {
  const prefix = prefixOf(to);
  if (!movesObject(record.status, to) || prefix === undefined) {
    throw new InternalError(`${record.status} → ${to} is not a move of ${record.fileId}`);
  }
  let marker: MoveMarker = {
    moveId: randomUUID(),
    tenant: record.tenant,
    fileId: record.fileId,
    bucket: record.bucket,
    from: record.status,
    to,
    fromKey: record.key,
    fromVersionId: versionAtKey(record),
    toKey: destinationKey(record.key, prefix, record.fileId),
    fallback: false,
    reason: cause.reason,
    jobId: cause.jobId,
    createdAt: now(deps),
    leaseOwner: randomUUID(),
    leaseUntil: later(deps, LEASE_MS),
  };
  for (;;) {
    const begun = await deps.lifecycle.beginMove(marker);
    switch (begun.outcome) {
      case 'started':
        return runOwned(deps, marker);
      case 'key-taken':
        // Another file (an earlier upload to the same fresh/ key) owns the natural key.
        if (marker.fallback) throw new ConflictError(`${marker.toKey} is claimed by another file`);
        marker = {
          ...marker,
          toKey: destinationKey(record.key, prefix, record.fileId, true),
          fallback: true,
        };
        continue;
      case 'in-progress':
        // Someone else's move of this file (running, or interrupted): see it through, then look again.
        await resolvePending(deps, begun.marker);
        return deps.lifecycle.getFileConsistent(record.tenant, record.fileId);
      case 'record-changed':
        return deps.lifecycle.getFileConsistent(record.tenant, record.fileId);
    }
  }
}

/**
 * Another worker's move of a file: waits (briefly) for a live owner to finish it, or takes it over once
 * its lease has run out or was released. TransientError when the owner is still at it after the wait.
 */
async function resolvePending(deps: MoveDeps, marker: MoveMarker): Promise<FileRecord | undefined> {
  const deadline = Date.now() + WAIT_FOR_OWNER_MS;
  let pending: MoveMarker | undefined = marker;
  while (pending) {
    const taken = await deps.lifecycle.takeMove(pending, randomUUID(), later(deps, LEASE_MS), now(deps));
    if (taken) return runOwned(deps, taken);
    if (Date.now() >= deadline) {
      throw new TransientError(`the move of ${marker.fileId} is being carried out by another worker`);
    }
    await sleep(150);
    pending = await deps.lifecycle.getMove(marker.tenant, marker.fileId);
  }
  return deps.lifecycle.getFileConsistent(marker.tenant, marker.fileId);
}

/** Carries out a move this worker owns; on failure it gives the lease back for the next worker. */
async function runOwned(deps: MoveDeps, marker: MoveMarker): Promise<FileRecord | undefined> {
  try {
    return await finishMove(deps, marker);
  } catch (error) {
    await deps.lifecycle.releaseMove(marker).catch((release: unknown) => {
      deps.logger.warn('could not release a move lease; it runs out on its own', { error: release });
    });
    throw error;
  }
}

/** Steps 2–6 of an owned move, from whatever step it stopped at. Returns the file's record afterwards. */
async function finishMove(deps: MoveDeps, marker: MoveMarker): Promise<FileRecord | undefined> {
  let record = await deps.lifecycle.getFileConsistent(marker.tenant, marker.fileId);
  let active = marker;
  const atDestination = record?.status === active.to && record.key === active.toKey;
  if (!atDestination) {
    if (!record || record.status !== active.from || record.key !== active.fromKey) {
      // The record went another way (a move taken over after its owner finished it): nothing to move.
      await discardOrphan(deps, active, record);
      await deps.lifecycle.clearMove(active);
      return record;
    }
    const placed = await placeCopy(deps, active, record);
    active = placed.marker;
    const done = await deps.lifecycle.completeMove(active, placed.versionId ?? UNVERSIONED, now(deps));
    if (done.outcome === 'conflict') {
      await discardOrphan(deps, active, done.record);
      await deps.lifecycle.clearMove(active);
      return done.record;
    }
    record = done.record;
  }
  await deleteSource(deps, active);
  await deps.lifecycle.clearMove(active);
  deps.logger.info('file moved', {
    fileId: active.fileId,
    from: active.from,
    to: active.to,
    key: active.toKey,
    reason: active.reason,
  });
  return record;
}

/**
 * Brings a file to the status its use calls for: sees a pending move of it through first, then moves it
 * one step at a time (FRESH → USED, USED → ARCHIVED). Safe to call from any number of workers at once.
 */
export async function settleFile(
  deps: MoveDeps,
  record: FileRecord,
  archiveAfterUses: number,
  cause: MoveCause,
): Promise<FileRecord | undefined> {
  let current: FileRecord | undefined = record;
  const pending = await deps.lifecycle.getMove(record.tenant, record.fileId);
  if (pending) current = await resolvePending(deps, pending);
  // At most two moves are ever due; the bound only guards against a record that keeps changing under us.
  for (let step = 0; step < 4 && current; step++) {
    const next = nextStatusForUse(current, archiveAfterUses);
    if (next === undefined) return current;
    current = await moveFile(deps, current, next, cause);
  }
  return current;
}

export interface ReconcileResult {
  repaired: number;
  /** Held by a live owner: that worker finishes them (or the next run does). */
  busy: number;
  failed: Array<{ tenant: string; fileId: string; error: string }>;
}

/**
 * The repair pass: finishes every pending move (of one tenant, or of all) whose owner is gone, from the
 * step it stopped at. A move that fails again stays pending for the next run and is reported.
 */
export async function reconcileMoves(deps: MoveDeps, tenant?: string): Promise<ReconcileResult> {
  const result: ReconcileResult = { repaired: 0, busy: 0, failed: [] };
  for await (const marker of deps.lifecycle.listMoves(tenant)) {
    const taken = await deps.lifecycle.takeMove(marker, randomUUID(), later(deps, LEASE_MS), now(deps));
    if (!taken) {
      result.busy++;
      continue;
    }
    try {
      await runOwned(deps, taken);
      result.repaired++;
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      deps.logger.error('move could not be finished', {
        fileId: marker.fileId,
        moveId: marker.moveId,
        error,
      });
      result.failed.push({ tenant: marker.tenant, fileId: marker.fileId, error: name });
    }
  }
  if (result.repaired + result.busy + result.failed.length > 0) {
    deps.logger.info('moves reconciled', { ...result });
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Steps

async function placeCopy(
  deps: MoveDeps,
  marker: MoveMarker,
  record: FileRecord,
): Promise<{ marker: MoveMarker; versionId: string | undefined }> {
  const source = sourceOf(marker);
  let active = marker;
  for (;;) {
    let found = await inspect(deps, source, active.toKey, record);
    // Copy only to a free key: S3 copies are not create-only everywhere (MinIO overwrites), and the key is
    // claimed for this file and the move owned by this worker, so nothing of ours writes there meanwhile.
    if (found.state === 'missing') {
      await deps.store.copy(source, active.toKey);
      found = await inspectWritten(deps, source, active.toKey, record);
    }
    if (found.state === 'same') return { marker: active, versionId: found.versionId };
    // An object no move put there (written by hand): never replaced; this file goes beside it.
    const prefix = prefixOf(active.to);
    if (active.fallback || prefix === undefined) {
      throw new ConflictError(`${active.toKey} holds another object; ${active.fileId} cannot move there`);
    }
    deps.logger.warn('destination holds another object; moving to the fallback key', {
      fileId: active.fileId,
      toKey: active.toKey,
    });
    active = await deps.lifecycle.redirectMove(
      active,
      destinationKey(active.fromKey, prefix, active.fileId, true),
    );
  }
}

type Inspection = { state: 'missing' } | { state: 'different' } | { state: 'same'; versionId?: string };

async function inspectWritten(
  deps: MoveDeps,
  source: ObjectRef,
  toKey: string,
  record: FileRecord,
): Promise<Inspection> {
  for (let attempt = 1; ; attempt++) {
    const found = await inspect(deps, source, toKey, record);
    if (found.state !== 'missing') return found;
    if (attempt >= VISIBILITY_ATTEMPTS) {
      throw new TransientError(`copy of ${record.fileId} to ${toKey} is not visible yet`);
    }
    await sleep(100 * attempt);
  }
}

/** Whether the object at `toKey` is this file's content: size, then ETag, then (rarely) a full hash. */
async function inspect(
  deps: MoveDeps,
  source: ObjectRef,
  toKey: string,
  record: FileRecord,
): Promise<Inspection> {
  const destination = await statOrUndefined(deps.store, { bucket: source.bucket, key: toKey });
  if (!destination) return { state: 'missing' };
  const found = { state: 'same' as const, versionId: destination.versionId };
  if (destination.size !== record.size) return { state: 'different' };
  const original = await statOrUndefined(deps.store, source);
  if (original && original.eTag === destination.eTag) return found;
  // ETags of multipart uploads depend on the part size, so a faithful copy may carry another one.
  const hash = createHash('sha256');
  for await (const chunk of deps.store.read({
    bucket: source.bucket,
    key: toKey,
    versionId: destination.versionId,
  })) {
    hash.update(chunk);
  }
  return hash.digest('hex') === record.sha256 ? found : { state: 'different' };
}

async function deleteSource(deps: MoveDeps, marker: MoveMarker): Promise<void> {
  const current = await statOrUndefined(deps.store, { bucket: marker.bucket, key: marker.fromKey });
  // Already deleted (an earlier attempt got this far).
  if (!current) return;
  if (marker.fromVersionId !== undefined && current.versionId !== marker.fromVersionId) {
    // A newer upload to the same key is another file; ours is already a noncurrent version there.
    deps.logger.info('source key holds a newer object; left in place', {
      fileId: marker.fileId,
      key: marker.fromKey,
    });
    return;
  }
  if (marker.fromVersionId === undefined) {
    // Unversioned: only the object we copied may go (same ETag as the verified destination).
    const destination = await statOrUndefined(deps.store, { bucket: marker.bucket, key: marker.toKey });
    if (!destination || destination.eTag !== current.eTag) return;
  }
  await deps.store.delete(marker.fromKey);
}

/**
 * A copy made by a move whose record went elsewhere belongs to no file. It is removed only when it is
 * this file's content and the record does not point at it (a delete marker: the version stays).
 */
async function discardOrphan(deps: MoveDeps, marker: MoveMarker, record: FileRecord | undefined) {
  if (!record || record.key === marker.toKey) return;
  const found = await inspect(deps, sourceOf(marker), marker.toKey, record);
  if (found.state !== 'same') return;
  deps.logger.warn('removing the copy of an abandoned move', { fileId: marker.fileId, key: marker.toKey });
  await deps.store.delete(marker.toKey);
}

function sourceOf(marker: MoveMarker): ObjectRef {
  return { bucket: marker.bucket, key: marker.fromKey, versionId: marker.fromVersionId };
}

async function statOrUndefined(store: ObjectStore, ref: ObjectRef) {
  try {
    return await store.stat(ref);
  } catch (error) {
    if (isStrataError(error) && error.name === 'ObjectMissingError') return undefined;
    throw error;
  }
}

function now(deps: Pick<MoveDeps, 'clock'>): string {
  return deps.clock.now().toISOString();
}

function later(deps: Pick<MoveDeps, 'clock'>, ms: number): string {
  return new Date(deps.clock.now().getTime() + ms).toISOString();
}

/** Runs `work` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
