/**
 * Training sets: an immutable, replayable selection of dataset versions (one per source file) that a
 * training job consumes. The manifest in S3 is the contract with the job; the record in DynamoDB is the
 * index of it.
 */
import type { DataType } from './object-key.js';

export interface TrainingSetCriteria {
  dataset?: string | undefined;
  dataType?: DataType | undefined;
  /** Only files uploaded at or after this instant (ISO 8601). */
  since?: string | undefined;
  maxRows?: number | undefined;
  maxBytes?: number | undefined;
  /** Also write the selected versions as one file: parquet or jsonl. */
  combine?: 'parquet' | 'jsonl' | undefined;
}

export interface TrainingSetFile {
  fileId: string;
  /** The file's object key at selection time (it moves through the lifecycle afterwards). */
  key: string;
  dataset: string;
  dataType: DataType;
  sha256: string;
  version: number;
  /** The dataset version's Parquet snapshot: what a job actually reads (it never moves). */
  snapshotKey: string;
  rows: number;
  bytes: number;
}

export interface TrainingSetManifest {
  id: string;
  tenant: string;
  createdAt: string;
  criteria: TrainingSetCriteria;
  /** FRESH files were chosen, or (none being fresh) SAMPLE files as the fallback. */
  selection: 'fresh' | 'sample-fallback';
  files: TrainingSetFile[];
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

export function manifestKey(tenant: string, id: string): string {
  return `training-sets/${tenant}/${id}/manifest.json`;
}

export function combinedKey(tenant: string, id: string, format: 'parquet' | 'jsonl'): string {
  return `training-sets/${tenant}/${id}/data.${format}`;
}
