/**
 * Tenant statistics over file records: counts, bytes and use by status, data type and dataset. Pure;
 * the records are streamed in by the use case (see app/lifecycle/statistics.ts for what that costs).
 */
import { FILE_STATUSES, type FileRecord } from './file-record.js';
import { DATA_TYPES } from './object-key.js';

/** The attributes statistics read: a projection of the file record. */
export type FileFacts = Pick<
  FileRecord,
  'status' | 'dataType' | 'dataset' | 'size' | 'usageCount' | 'deletedAt'
>;

export interface Tally {
  files: number;
  /** Bytes still stored: a deleted file counts as a file, not as bytes. */
  bytes: number;
  /** Sum of the files' usage counts. */
  usage: number;
}

export interface FileStatistics {
  files: number;
  bytes: number;
  totalUsage: number;
  byStatus: Record<string, Tally>;
  byType: Record<string, Tally>;
  byDataset: Record<string, Tally>;
  /** DEPRECATED files whose object was deleted after the grace period (their records stay). */
  deleted: { files: number; bytes: number };
}

const empty = (): Tally => ({ files: 0, bytes: 0, usage: 0 });

export class StatisticsAccumulator {
  private readonly stats: FileStatistics = {
    files: 0,
    bytes: 0,
    totalUsage: 0,
    // Every status and type is present, zero or not, so a client can read any of them without a check.
    byStatus: Object.fromEntries(FILE_STATUSES.map((s) => [s, empty()])),
    byType: Object.fromEntries(DATA_TYPES.map((t) => [t, empty()])),
    byDataset: {},
    deleted: { files: 0, bytes: 0 },
  };

  add(file: FileFacts): void {
    const stored = file.deletedAt === undefined ? Number(file.size ?? 0) : 0;
    const usage = Number(file.usageCount ?? 0);
    for (const tally of [
      this.tally(this.stats.byStatus, file.status),
      this.tally(this.stats.byType, file.dataType),
      this.tally(this.stats.byDataset, file.dataset),
    ]) {
      tally.files++;
      tally.bytes += stored;
      tally.usage += usage;
    }
    this.stats.files++;
    this.stats.bytes += stored;
    this.stats.totalUsage += usage;
    if (file.deletedAt !== undefined) {
      this.stats.deleted.files++;
      this.stats.deleted.bytes += Number(file.size ?? 0);
    }
  }

  result(): FileStatistics {
    return this.stats;
  }

  private tally(group: Record<string, Tally>, name: string | undefined): Tally {
    // A record the pipeline quarantined before register has no type: it is still counted.
    const key = name ?? 'unknown';
    let tally = group[key];
    if (!tally) {
      tally = empty();
      group[key] = tally;
    }
    return tally;
  }
}

export function statisticsOf(files: Iterable<FileFacts>): FileStatistics {
  const accumulator = new StatisticsAccumulator();
  for (const file of files) accumulator.add(file);
  return accumulator.result();
}
