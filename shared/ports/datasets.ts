/** Datasets and their files: registration, failures, listings, a dataset's settings. */
import type { DatasetConfig, DatasetRecord, DatasetSummary, DriftSettings } from '../domain/dataset.js';
import type { FileRecord, FileStatus } from '../domain/file-record.js';
import type { Page } from './page.js';

export type RegisterOutcome =
  | { outcome: 'registered'; record: FileRecord }
  | { outcome: 'duplicate'; record: FileRecord }
  | { outcome: 'already-registered'; record: FileRecord };

export interface FileFailure {
  tenant: string;
  dataset: string;
  fileId: string;
  bucket: string;
  key: string;
  stage: string;
  errorName: string;
  message: string;
  quarantineKey: string;
  /** The validation report, when the file failed validation. */
  reportKey?: string;
  at: string;
}

export interface MetadataStore {
  /**
   * Records a new file atomically with its content-hash claim and the dataset's counters. A file whose
   * hash another file of the dataset holds is stored as DUPLICATE of it; a file already recorded is
   * returned as is. A claim held by a file that no longer stands for the content (QUARANTINED, object
   * deleted) is taken over instead.
   */
  registerFile(record: FileRecord): Promise<RegisterOutcome>;
  getFile(tenant: string, fileId: string): Promise<FileRecord | undefined>;
  /**
   * Marks a file QUARANTINED with the failing stage and error; creates the record if register never ran.
   * Releases the file's content-hash claim in the same transaction (only its own; repeating is harmless).
   */
  recordFailure(failure: FileFailure): Promise<void>;
  /**
   * A retried run re-admits a QUARANTINED file that register had recorded: back to FRESH with its content
   * hash claimed again, its failure appended to `previousFailures`; or, when another file of the same
   * content holds the claim now, DUPLICATE of that file. Undefined when the file is not such a file (any
   * more).
   */
  readmitFile(record: FileRecord, at: string): Promise<FileRecord | undefined>;
  /**
   * Removes the record a failure left for a file register never recorded (QUARANTINED, no content hash),
   * so that registering it again records it whole. False when there was no such record.
   */
  discardUnregisteredFile(tenant: string, fileId: string): Promise<boolean>;
  listDatasets(tenant: string, page?: { limit: number; cursor?: string }): Promise<Page<DatasetSummary>>;
  listFiles(tenant: string, query: FileQuery): Promise<Page<FileRecord>>;
}

export interface DatasetStore {
  getDataset(tenant: string, dataset: string): Promise<DatasetRecord | undefined>;
  /** Stores a suite; with `onlyIfAbsent` it leaves an existing one alone and returns false. */
  putValidationSuite(
    tenant: string,
    dataset: string,
    suite: unknown,
    source: 'api' | 'inferred',
    onlyIfAbsent: boolean,
  ): Promise<boolean>;
  putDatasetConfig(tenant: string, dataset: string, config: DatasetConfig): Promise<void>;
  putDriftSettings(tenant: string, dataset: string, settings: DriftSettings): Promise<void>;
  /** Records what a stage learned about a file (stage name plus its summary fields). */
  updateFile(tenant: string, fileId: string, fields: Partial<FileRecord>): Promise<void>;
}

export interface FileQuery {
  status?: FileStatus | undefined;
  dataset?: string | undefined;
  dataType?: string | undefined;
  /** Only files whose record's user metadata has every one of these key/value pairs. */
  metadata?: Readonly<Record<string, string>> | undefined;
  /** Only files whose record is at this object key. */
  key?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}
