/**
 * VACUUM of a Delta table, the pure part: which data files may be deleted, and which table versions can no
 * longer be read once they are. Only files a `remove` action retired long enough ago qualify: never a file
 * the latest snapshot references, never one without a tombstone (a file written but never committed, such
 * as a held version's staged file, is not vacuum's), never one under a hidden folder (`_delta_log/`,
 * `_staged/`, `_strata/`: Delta's rule that names starting with `_` or `.` are not data), never one outside
 * the table root.
 */

import type { Snapshot } from './snapshot.js';
import { dataFileKey, decodeRelativePath } from './table.js';

export const DAY_MS = 86_400_000;

/** A data file vacuum may delete. */
export interface VacuumCandidate {
  /** As the log names it, decoded. */
  path: string;
  /** Its object key in the data bucket. */
  key: string;
  /** From the remove action, when the writer recorded it. */
  size: number | undefined;
  deletionTimestamp: number;
  /** A version from which on the file is out of the table (snapshot.removedIn). */
  removedIn: number;
}

export interface VacuumPlan {
  candidates: VacuumCandidate[];
  /** Tombstones still within the retention grace: their files stay for time travel. */
  retained: number;
  /**
   * The oldest version still readable once every candidate is gone: every version before it may
   * reference a candidate. Undefined when there is no candidate.
   */
  oldestReadableVersion: number | undefined;
}

export interface VacuumScope {
  bucket: string;
  /** `tables/<tenant>/<dataset>/`. */
  tableRoot: string;
  nowMs: number;
  /** Files removed longer ago than this (strictly) are deleted. */
  retentionMs: number;
}

/** A path under the table root that is not data by Delta's rule: any segment starting with `_` or `.`. */
function isHidden(relative: string): boolean {
  return (
    relative === '' ||
    relative.split('/').some((segment) => segment.startsWith('_') || segment.startsWith('.'))
  );
}

/**
 * The files of `snapshot` (the latest) that vacuum deletes: tombstones older than the retention, under
 * the table root, not hidden, and whose object no live file (under any deletion vector) still names. One
 * candidate per object key, in key order.
 */
export function planVacuum(snapshot: Snapshot, scope: VacuumScope): VacuumPlan {
  const { bucket, tableRoot, nowMs, retentionMs } = scope;
  const live = new Set<string>();
  for (const add of snapshot.files.values()) {
    const key = dataFileKey(bucket, tableRoot, add.path);
    // A live file outside the bucket cannot share an object with one inside it.
    if (key !== undefined) live.add(key);
  }
  // Tombstones by object: two of one object (deletion vectors) must both be old enough, since the younger
  // one's versions read the same object.
  const byKey = new Map<string, VacuumCandidate | 'keep'>();
  let retained = 0;
  for (const [fileKey, remove] of snapshot.tombstones) {
    const at = remove.deletionTimestamp;
    const key = dataFileKey(bucket, tableRoot, remove.path);
    if (key === undefined || !key.startsWith(tableRoot) || isHidden(key.slice(tableRoot.length))) continue;
    // Without a deletion time there is no age to compare: the file is kept, as Delta keeps it.
    const due = at !== undefined && nowMs - at > retentionMs;
    if (!due) retained++;
    if (!due || live.has(key)) {
      byKey.set(key, 'keep');
      continue;
    }
    const removedIn = snapshot.removedIn.get(fileKey) ?? snapshot.version;
    const seen = byKey.get(key);
    if (seen === 'keep' || (seen && seen.removedIn >= removedIn)) continue;
    byKey.set(key, {
      path: decodeRelativePath(remove.path),
      key,
      size: remove.size,
      deletionTimestamp: at,
      removedIn,
    });
  }
  const candidates = [...byKey.values()]
    .filter((c): c is VacuumCandidate => c !== 'keep')
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let oldest: number | undefined;
  for (const c of candidates) oldest = Math.max(oldest ?? 0, c.removedIn);
  return { candidates, retained, oldestReadableVersion: oldest };
}

// ---------------------------------------------------------------------------------------------------------
// What was vacuumed: the record readers check

/**
 * Kept beside the table (`_strata/vacuum.json` under its root): the oldest version still readable. It is
 * written before any file is deleted and only ever moves forward, so a reader that finds a version below
 * it answers 410 instead of failing on a missing file.
 */
export interface VacuumRecord {
  oldestReadableVersion: number;
  /** The last vacuum that moved it. */
  vacuumedAt: string;
  retentionDays: number;
}

/** The record from its JSON, or undefined for anything else (a reader then assumes nothing was vacuumed). */
export function parseVacuumRecord(value: unknown): VacuumRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Partial<Record<keyof VacuumRecord, unknown>>;
  const version = o.oldestReadableVersion;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) return undefined;
  return {
    oldestReadableVersion: version,
    vacuumedAt: typeof o.vacuumedAt === 'string' ? o.vacuumedAt : '',
    retentionDays: typeof o.retentionDays === 'number' ? o.retentionDays : 0,
  };
}

/** Whether `version` of the table can still be read after the vacuums `record` describes. */
export function isVersionReadable(record: VacuumRecord | undefined, version: number): boolean {
  return record === undefined || version >= record.oldestReadableVersion;
}
