/**
 * Dataset versions and where their artifacts live. A version is immutable once READY: its Parquet
 * snapshot, schema and profile never change; only tags, description and the dataset's "current" pointer
 * move.
 */
import type { TableSchema } from './table.js';

/** PENDING: number allocated, snapshot being written. READY: complete. HELD: complete but not promoted. */
export const VERSION_STATUSES = ['PENDING', 'READY', 'HELD'] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

export interface VersionRecord {
  tenant: string;
  dataset: string;
  version: number;
  status: VersionStatus;
  /** SHA-256 of the canonical Parquet snapshot. */
  contentHash: string;
  /** SHA-256 of the source file the version was made from. */
  sourceSha256: string;
  sourceFileId: string;
  sourceKey: string;
  rowCount: number;
  schema: TableSchema;
  /** The dataset's current version when this one was committed (its parent), if any. */
  parentVersion?: number | undefined;
  snapshotKey: string;
  profileKey: string;
  validationReportKey: string;
  validationStatus: 'PASSED' | 'WARNING';
  tags: string[];
  createdAt: string;
}

/** The snapshot path the issue fixes: `versions/<tenant>/<dataset>/v<N>/`. */
export function snapshotKey(tenant: string, dataset: string, version: number): string {
  return `versions/${tenant}/${dataset}/v${version}/data.parquet`;
}

/** Per-file intermediate data between stages; expired by a lifecycle rule, never user data. */
export function stagingKey(tenant: string, dataset: string, fileId: string): string {
  return `staging/${tenant}/${dataset}/${fileId}/data.parquet`;
}

export type ReportKind = 'validation' | 'profile';

export function reportKey(tenant: string, dataset: string, fileId: string, kind: ReportKind): string {
  return `reports/${tenant}/${dataset}/${fileId}/${kind}.json`;
}

/** Lineage node ids: a type prefix, then a tenant-scoped path. */
export const lineageNode = {
  file: (tenant: string, fileId: string) => `file:${tenant}/${fileId}`,
  datasetVersion: (tenant: string, dataset: string, version: number) =>
    `dataset-version:${tenant}/${dataset}/v${version}`,
};

/** Whether a version committed now becomes the dataset's current one (later versions win). */
export function shouldPromote(current: number | undefined, candidate: number): boolean {
  return current === undefined || candidate > current;
}
