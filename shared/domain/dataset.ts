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
