/**
 * Training sets: an immutable, replayable selection that a training job consumes: dataset versions (one
 * per source file, each read from its data file in the dataset's Delta table), or one dataset's whole
 * table at a version (every data file of that Delta version). The manifest in S3 is the contract with the
 * job; the record in DynamoDB is the index of it.
 */
import { FILE_STATUSES, type FileStatus } from './file-record.js';
import type { DataType } from './object-key.js';
import type { CellValue, ColumnSchema, ColumnType, TableSchema } from './table.js';
import type { VersionStatus } from './version.js';

export interface TrainingSetCriteria {
  dataset?: string | undefined;
  /**
   * With `dataset`: the dataset's table at this version (all its data files at the version's Delta
   * version) instead of a selection of fresh files.
   */
  version?: number | undefined;
  dataType?: DataType | undefined;
  /** Only files uploaded at or after this instant (ISO 8601). */
  since?: string | undefined;
  maxRows?: number | undefined;
  maxBytes?: number | undefined;
  /** Also write the selected rows as one file: parquet or jsonl. */
  combine?: 'parquet' | 'jsonl' | undefined;
}

export interface TrainingSetFile {
  fileId: string;
  /** The file's object key at selection time (it moves through the lifecycle afterwards). */
  key: string;
  dataset: string;
  dataType: DataType;
  sha256: string;
  /** SHA-256 of the version's canonical Parquet snapshot: equal rows from different bytes share it. */
  contentHash: string;
  /** The S3 object version of the source file (or its ETag): the exact upload, not just the key. */
  objectVersion: string;
  uploadedAt: string;
  version: number;
  /**
   * The version's data file in its dataset's Delta table (the file's rows exactly, never moved or
   * rewritten), and the Delta version that committed it: what a job actually reads.
   */
  dataFile: { path: string; key: string; deltaVersion: number };
  /**
   * A file committed as its chunk files (a file too big for one function is staged in chunks): every
   * one of them, in row order (`dataFile` is the first). Absent: `dataFile` holds all the file's rows.
   */
  dataFiles?: Array<{ path: string; key: string }> | undefined;
  rows: number;
  bytes: number;
}

/** A data file of the table version a training set names, as its add action describes it. */
export interface TrainingSetDataFile {
  /** Relative to the table root, as the log names it. */
  path: string;
  /** Its object key in the data bucket. */
  key: string;
  rows: number;
  bytes: number;
}

/** The table version a training set of `{dataset, version}` is: every data file of that Delta version. */
export interface TrainingSetTable {
  dataset: string;
  version: number;
  deltaVersion: number;
  /** `s3://<bucket>/tables/<tenant>/<dataset>`: what Spark, Polars or delta-rs open at `deltaVersion`. */
  uri: string;
  files: TrainingSetDataFile[];
}

export interface TrainingSetManifest {
  id: string;
  tenant: string;
  createdAt: string;
  criteria: TrainingSetCriteria;
  /**
   * FRESH files were chosen, or (none being fresh) SAMPLE files as the fallback; `table`: the criteria
   * named a dataset version, whose table is in `table` (and `files` is empty).
   */
  selection: 'fresh' | 'sample-fallback' | 'table';
  files: TrainingSetFile[];
  table?: TrainingSetTable | undefined;
  totals: { files: number; rows: number; bytes: number };
  combined?: { key: string; format: 'parquet' | 'jsonl'; rows: number } | undefined;
}

export interface TrainingSetRecord {
  id: string;
  tenant: string;
  createdAt: string;
  manifestKey: string;
  criteria: TrainingSetCriteria;
  selection: TrainingSetManifest['selection'];
  fileIds: string[];
  totals: TrainingSetManifest['totals'];
  combinedKey?: string | undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Selection

/**
 * Only a READY version is offered: a PENDING one may not have its snapshot yet, and a HELD one was held
 * back from promotion (drift gate) for a person to look at, which an automatic selection must not undo.
 */
export function isSelectableVersion(status: VersionStatus): boolean {
  return status === 'READY';
}

/** Sample files stand in when nothing is fresh; a bad, repeated or retired file never does. */
export const SAMPLE_FALLBACK_STATUSES: readonly FileStatus[] = FILE_STATUSES.filter(
  (s) => s !== 'QUARANTINED' && s !== 'DUPLICATE' && s !== 'DEPRECATED',
);

/** Newest first, ties broken by file id: the order of the metadata table's time indexes. */
export function newestFirst(a: TrainingSetFile, b: TrainingSetFile): number {
  const at = Date.parse(b.uploadedAt) - Date.parse(a.uploadedAt);
  return at !== 0 ? at : b.fileId < a.fileId ? -1 : b.fileId > a.fileId ? 1 : 0;
}

export type OfferOutcome = 'taken' | 'duplicate' | 'too-old' | 'over-budget';

/**
 * The budget and de-duplication rules, fed one candidate at a time (newest first) so a caller can stop
 * reading the index as soon as the selection is complete. The selection is the longest newest-first run
 * that fits: once a file does not fit, the selection is closed rather than filled up with older, smaller
 * files, so "the newest N rows" keeps its meaning.
 */
export class FileSelection {
  readonly files: TrainingSetFile[] = [];
  /** Candidates that passed `since` (taken, duplicate or over budget). */
  considered = 0;
  readonly duplicates: string[] = [];
  private readonly hashes = new Set<string>();
  private rows = 0;
  private bytes = 0;
  private closed = false;
  private readonly since: number | undefined;

  constructor(private readonly criteria: Pick<TrainingSetCriteria, 'since' | 'maxRows' | 'maxBytes'>) {
    this.since = criteria.since === undefined ? undefined : Date.parse(criteria.since);
  }

  /** Whether more candidates can change the selection. */
  get complete(): boolean {
    return this.closed;
  }

  offer(file: TrainingSetFile): OfferOutcome {
    if (this.since !== undefined && Date.parse(file.uploadedAt) < this.since) return 'too-old';
    this.considered++;
    if (this.closed) return 'over-budget';
    // Same bytes (sha256), or the same rows parsed from other bytes (the snapshot's hash).
    if (this.hashes.has(file.sha256) || this.hashes.has(file.contentHash)) {
      this.duplicates.push(file.fileId);
      return 'duplicate';
    }
    const { maxRows, maxBytes } = this.criteria;
    if (
      (maxRows !== undefined && this.rows + file.rows > maxRows) ||
      (maxBytes !== undefined && this.bytes + file.bytes > maxBytes)
    ) {
      this.closed = true;
      return 'over-budget';
    }
    this.files.push(file);
    this.hashes.add(file.sha256);
    this.hashes.add(file.contentHash);
    this.rows += file.rows;
    this.bytes += file.bytes;
    return 'taken';
  }

  get totals(): TrainingSetManifest['totals'] {
    return { files: this.files.length, rows: this.rows, bytes: this.bytes };
  }
}

/** The selection rules over a list of candidates in any order (the use case streams the same rules). */
export function selectFiles(
  candidates: readonly TrainingSetFile[],
  criteria: Pick<TrainingSetCriteria, 'since' | 'maxRows' | 'maxBytes'>,
): { files: TrainingSetFile[]; totals: TrainingSetManifest['totals']; duplicates: string[] } {
  const selection = new FileSelection(criteria);
  for (const file of [...candidates].sort(newestFirst)) {
    const outcome = selection.offer(file);
    if (outcome === 'too-old' || outcome === 'over-budget') break;
  }
  return { files: selection.files, totals: selection.totals, duplicates: selection.duplicates };
}

// ---------------------------------------------------------------------------------------------------------
// Combined output

/** Added to every combined row so it can be traced back to its source file and dataset version. */
export const TRACE_COLUMNS: readonly ColumnSchema[] = [
  { name: '_source_file_id', type: 'string', nullable: false },
  { name: '_dataset_version', type: 'int', nullable: false },
];

const TRACE_NAMES = new Set(TRACE_COLUMNS.map((c) => c.name));

/**
 * The columns of several versions as one schema, by name, in order of first appearance: one type per
 * name (int and float widen to float, any other mix becomes string), nullable when any source allows
 * null or lacks the column. The trace columns come last; a source column of the same name gives way,
 * since in a combined file they must describe this training set's sources.
 */
export function unionSchema(schemas: readonly TableSchema[]): TableSchema {
  const columns = new Map<string, ColumnSchema>();
  const seenIn = new Map<string, number>();
  for (const schema of schemas) {
    for (const column of schema.columns) {
      if (TRACE_NAMES.has(column.name)) continue;
      const known = columns.get(column.name);
      seenIn.set(column.name, (seenIn.get(column.name) ?? 0) + 1);
      columns.set(
        column.name,
        known
          ? {
              name: column.name,
              type: widen(known.type, column.type),
              nullable: known.nullable || column.nullable,
            }
          : { ...column },
      );
    }
  }
  const union = [...columns.values()].map((c) =>
    seenIn.get(c.name) === schemas.length ? c : { ...c, nullable: true },
  );
  return { columns: [...union, ...TRACE_COLUMNS] };
}

function widen(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b) return a;
  if ((a === 'int' || a === 'float') && (b === 'int' || b === 'float')) return 'float';
  return 'string';
}

/** A cell of a `from` column as a cell of the union's `to` column (a widening, never a narrowing). */
export function coerceCell(value: CellValue, from: ColumnType, to: ColumnType): CellValue {
  if (value === null || from === to || to === 'float') return value;
  if (to !== 'string') return value;
  if (from === 'timestamp' && typeof value === 'number') return new Date(value).toISOString();
  return String(value);
}
