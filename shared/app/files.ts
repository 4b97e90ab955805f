/** The files the pipeline registered: a page of them (by status, data type or dataset) and one file. */
import type { FileStatus } from '../domain/file-record.js';
import { NotFoundError } from '../errors.js';
import type { MetadataStore } from '../ports.js';
import { checkDatasetName } from './datasets/records.js';

export interface FileReadDeps {
  metadata: MetadataStore;
}

export async function listFiles(
  deps: FileReadDeps,
  tenant: string,
  query: { status?: FileStatus; type?: string; dataset?: string; limit: number; cursor?: string },
) {
  if (query.dataset !== undefined) checkDatasetName(query.dataset);
  const page = await deps.metadata.listFiles(tenant, {
    status: query.status,
    dataset: query.dataset,
    dataType: query.type,
    limit: query.limit,
    cursor: query.cursor,
  });
  return { files: page.items, nextCursor: page.cursor };
}

export async function getFile(deps: FileReadDeps, tenant: string, fileId: string) {
  const record = await deps.metadata.getFile(tenant, fileId);
  if (!record) throw new NotFoundError(`file "${fileId}" not found`);
  return record;
}
