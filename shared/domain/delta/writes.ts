/**
 * How a dataset's accepted file changes its Delta table, by write mode — the rules, not the I/O:
 *
 * - `append`: the file's rows are added (a blind append, which commutes with concurrent appends);
 * - `append` with dedup keys: only rows whose key the table does not hold yet are added, the rest counted
 *   as duplicates (the commit read the table, so a concurrent commit that added files makes it re-read);
 * - `overwrite`: every live file is removed and the file's rows are the table;
 * - `upsert` with key columns: copy-on-write — files whose statistics may hold one of the file's keys are
 *   read, those holding one are rewritten without the matching rows, and the file's rows are added (the
 *   last row of the file per key wins within the file).
 *
 * A key with a null in it matches nothing (SQL's equality): such rows are always added.
 */
import type { CellValue } from '../table.js';
import { compareStats, type FileStats } from './stats.js';

export const WRITE_MODES = ['append', 'overwrite', 'upsert'] as const;
export type WriteMode = (typeof WRITE_MODES)[number];

/** What a dataset's config says about writing its table. */
export interface WriteSettings {
  mode: WriteMode;
  /** append: rows whose key the table already holds are not added. */
  dedupKeys?: string[] | undefined;
  /** upsert: the columns that identify a row. */
  keyColumns?: string[] | undefined;
}

/** The key columns a write reads the table by, or none for a blind append or an overwrite. */
export function writeKeys(settings: WriteSettings): string[] {
  if (settings.mode === 'upsert') return settings.keyColumns ?? [];
  if (settings.mode === 'append') return settings.dedupKeys ?? [];
  return [];
}

/**
 * Whether a table file may hold a row whose key is within the incoming file's bounds: for every key column
 * the two files' [min, max] ranges overlap. A file without statistics for a key column may hold anything;
 * an incoming column of nulls only (no bounds) matches nothing, as null keys never match.
 */
export function mayHoldKeys(
  file: FileStats | undefined,
  incoming: FileStats,
  keys: readonly string[],
): boolean {
  for (const key of keys) {
    const inMin = incoming.minValues[key];
    const inMax = incoming.maxValues[key];
    if (inMin === undefined || inMax === undefined) {
      // No bounds: either every incoming key is null here (then nothing matches), or no statistics.
      if (incoming.nullCount[key] === incoming.numRecords && incoming.numRecords > 0) return false;
      continue;
    }
    const min = file?.minValues[key];
    const max = file?.maxValues[key];
    if (min === undefined || max === undefined) {
      // A table file whose key column is all nulls holds no matching key.
      if (file && file.nullCount[key] === file.numRecords && file.numRecords > 0) return false;
      continue;
    }
    if (typeof min !== typeof inMax || typeof max !== typeof inMin) continue;
    if (compareStats(max, inMin) < 0 || compareStats(min, inMax) > 0) return false;
  }
  return true;
}

/**
 * A key's identity as text, or undefined when a cell is null (such a key matches nothing). Numbers of
 * an int and a double column with the same value are one key; 0 and -0 too.
 */
export function keyText(cells: readonly CellValue[]): string | undefined {
  let text = '';
  for (const cell of cells) {
    if (cell === null) return undefined;
    const value = typeof cell === 'number' && cell === 0 ? 0 : cell;
    text += `${JSON.stringify(value)}\u0000`;
  }
  return text;
}

/** What one commit did to the table, as a version records it. */
export interface WriteCounts {
  mode: WriteMode;
  filesAdded: number;
  filesRemoved: number;
  /** Rows that joined the table (new keys, or every row of an append). */
  rowsAdded: number;
  /** Rows that left it: the old rows an overwrite replaced, or those an upsert replaced. */
  rowsRemoved: number;
  /** upsert: old rows replaced by a row of the file with the same key. */
  rowsUpdated: number;
  /** append with dedup keys: rows of the file whose key the table held already (not added). */
  rowsDuplicate: number;
  /** upsert: unchanged rows copied into rewritten files. */
  rowsCopied: number;
}

/**
 * The counts as commitInfo.operationMetrics (strings, Delta's convention, with Delta's names where one
 * exists), so a retried stage that finds its commit reads back what it did.
 */
export function operationMetrics(counts: WriteCounts): Record<string, string> {
  return {
    numAddedFiles: String(counts.filesAdded),
    numRemovedFiles: String(counts.filesRemoved),
    numOutputRows: String(counts.rowsAdded + counts.rowsUpdated + counts.rowsCopied),
    numTargetRowsInserted: String(counts.rowsAdded),
    numTargetRowsUpdated: String(counts.rowsUpdated),
    numTargetRowsDeleted: String(counts.rowsRemoved),
    numTargetRowsCopied: String(counts.rowsCopied),
    numDuplicateRows: String(counts.rowsDuplicate),
  };
}

/** The counts read back from a commit's metrics; undefined when the commit has none of strata's. */
export function countsFromMetrics(
  mode: WriteMode,
  metrics: Record<string, unknown> | undefined,
): WriteCounts | undefined {
  if (!metrics) return undefined;
  const n = (name: string): number | undefined => {
    const value = metrics[name];
    const parsed = typeof value === 'string' || typeof value === 'number' ? Number(value) : Number.NaN;
    return Number.isSafeInteger(parsed) && parsed >= 0 ? parsed : undefined;
  };
  const values = {
    filesAdded: n('numAddedFiles'),
    filesRemoved: n('numRemovedFiles'),
    rowsAdded: n('numTargetRowsInserted'),
    rowsRemoved: n('numTargetRowsDeleted'),
    rowsUpdated: n('numTargetRowsUpdated'),
    rowsDuplicate: n('numDuplicateRows'),
    rowsCopied: n('numTargetRowsCopied'),
  };
  if (Object.values(values).some((v) => v === undefined)) return undefined;
  return { mode, ...(values as Omit<WriteCounts, 'mode'>) };
}
