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
  /** Rows with the same values in these columns are kept once (the first). */
  dedupKeys?: string[];
  /** Failed records / records read above which a file is rejected. Default 0. */
  maxErrorRate?: number;
}

export interface DatasetRecord extends DatasetSummary {
  config: DatasetConfig;
  /** The validation suite (see domain/validation); `suiteSource` tells who set it. */
  validationSuite?: unknown;
  suiteSource?: 'api' | 'inferred';
  currentVersion?: number | undefined;
  versionCount: number;
}
