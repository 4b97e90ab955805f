import type { SchemaPolicy } from './delta/schema.js';
import type { WriteMode, WriteSettings } from './delta/writes.js';
import type { DriftThresholds, Severity } from './drift/severity.js';
import type { TextEncoding } from './parse/encoding.js';
import type { ParseOptions } from './parse/parse-file.js';
import type { QualityStatus } from './quality/types.js';
import type { ColumnType } from './table.js';

/** A dataset as listed to its tenant: counters kept by the pipeline, no per-file detail. */
export interface DatasetSummary {
  tenant: string;
  dataset: string;
  fileCount: number;
  duplicateCount: number;
  bytes: number;
  createdAt: string;
  updatedAt: string;
  lastFileId?: string | undefined;
}

/** Per-dataset ingestion settings, set through the API; all optional. */
export interface DatasetConfig {
  /** Source column name → canonical name. */
  columnMapping?: Record<string, string>;
  /** Canonical column name → forced type (values that do not convert count as failed records). */
  typeOverrides?: Record<string, ColumnType>;
  /**
   * Rows with the same values in these columns are kept once (the first) within a file; in `append` mode
   * a row whose key the dataset's table already holds is not added either (counted as a duplicate).
   */
  dedupKeys?: string[];
  /**
   * How an accepted file changes the dataset's table: `append` (default) adds its rows, `overwrite`
   * makes them the whole table, `upsert` replaces the rows whose `keyColumns` match and adds the rest.
   */
  writeMode?: WriteMode;
  /** upsert: the columns that identify a row. */
  keyColumns?: string[];
  /**
   * `none` (default): a file whose columns differ from the table's is quarantined (SchemaMismatchError
   * with the differences); `add_columns`: its new columns join the table, nullable.
   */
  schemaEvolution?: 'none' | 'add_columns';
  /** An int column of a file may join a float column of the table (its values written as floats). */
  widenTypes?: boolean;
  /** Failed records / records read above which a file is rejected. Default 0. */
  maxErrorRate?: number;
  /** Text files' encoding; default detected (a byte-order mark, else UTF-8). See domain/parse/encoding.ts. */
  encoding?: TextEncoding;
  /** Version files with columns but no rows (a header-only CSV) instead of rejecting them. Default false. */
  allowEmptyBatches?: boolean;
  /** Most columns a file may have. Default 2,000. */
  maxColumns?: number;
  /** Longest column name, in characters. Default 256. */
  maxColumnNameLength?: number;
  /**
   * A file larger than this many bytes is processed in chunks of about this size, in parallel (see
   * app/pipeline/split.ts). Default DEFAULT_CHUNK_BYTES.
   */
  chunkBytes?: number;
}

/**
 * The parse options a dataset's config sets, but for dedup keys: those the whole-file parse applies as it
 * reads, while a file in chunks has them applied across the chunks by the merge.
 */
export function parseOptionsOf(config: DatasetConfig): ParseOptions {
  return {
    ...(config.columnMapping && { columnMapping: config.columnMapping }),
    ...(config.typeOverrides && { typeOverrides: config.typeOverrides }),
    ...(config.maxErrorRate !== undefined && { maxErrorRate: config.maxErrorRate }),
    ...(config.encoding && { encoding: config.encoding }),
    ...(config.allowEmptyBatches !== undefined && { allowEmptyBatches: config.allowEmptyBatches }),
    ...(config.maxColumns !== undefined && { maxColumns: config.maxColumns }),
    ...(config.maxColumnNameLength !== undefined && { maxColumnNameLength: config.maxColumnNameLength }),
  };
}

/**
 * A file up to this size is parsed by one Lambda; a larger one in chunks of about this size. 256 MiB: at
 * the parse speed measured in `npm run bench` a chunk finishes in well under a minute in a 2 GB function,
 * and Step Functions' per-chunk overhead (a child execution, a few S3 requests) stays small beside it.
 */
export const DEFAULT_CHUNK_BYTES = 256 * 1024 * 1024;
/** Smallest chunk size a dataset may set (tests force many chunks out of small files with it). */
export const MIN_CHUNK_BYTES = 64 * 1024;

/**
 * How a dataset's new files are compared and gated, set through `PUT /datasets/{name}/drift-settings`.
 * Gates are off unless set.
 */
export interface DriftSettings {
  /** Highest drift severity a version may have and still be promoted automatically. */
  driftGate?: Severity | undefined;
  /** Lowest quality status a version may have and still be promoted automatically. */
  qualityGate?: QualityStatus | undefined;
  /** Compare with this version instead of the current one (a pinned baseline). */
  referenceVersion?: number | undefined;
  /** Per-metric cuts overriding the defaults. */
  thresholds?: Partial<DriftThresholds> | undefined;
  labelColumn?: string | undefined;
  predictionColumn?: string | undefined;
  /** Event-time column: not compared for drift; orders rows for constant periods and noise. */
  timeColumn?: string | undefined;
  /** Columns never compared for drift (identifiers), whatever inference says; absent ones are ignored. */
  identifierColumns?: string[] | undefined;
  /**
   * Whether drift infers identifier columns from the data (domain/drift/identifiers.ts) and excludes them.
   * Default true; false compares every column not in `identifierColumns`.
   */
  inferIdentifiers?: boolean | undefined;
}

export interface DatasetRecord extends DatasetSummary {
  config: DatasetConfig;
  /** The validation suite (see domain/validation); `suiteSource` tells who set it. */
  validationSuite?: unknown;
  suiteSource?: 'api' | 'inferred';
  currentVersion?: number | undefined;
  versionCount: number;
  driftSettings?: DriftSettings | undefined;
}

/** The write settings of a dataset's config (append when unset). */
export function writeSettingsOf(config: DatasetConfig): WriteSettings {
  return {
    mode: config.writeMode ?? 'append',
    ...(config.dedupKeys && { dedupKeys: config.dedupKeys }),
    ...(config.keyColumns && { keyColumns: config.keyColumns }),
  };
}

/** The schema policy of a dataset's config (no evolution, no widening when unset). */
export function schemaPolicyOf(config: DatasetConfig): SchemaPolicy {
  return { evolution: config.schemaEvolution ?? 'none', widenTypes: config.widenTypes ?? false };
}
