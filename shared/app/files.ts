/**
 * The files the pipeline registered: a page of them (by status, data type, dataset, user metadata or object
 * key) and one file.
 */
import type { FileStatus } from '../domain/file-record.js';
import { parseObjectKey } from '../domain/object-key.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { MetadataStore } from '../ports.js';
import { checkDatasetName } from './datasets/records.js';

export interface FileReadDeps {
  metadata: MetadataStore;
}

export interface FileListQuery {
  status?: FileStatus | undefined;
  type?: string | undefined;
  dataset?: string | undefined;
  /** Every pair must be in the record's user metadata (domain/file-record.ts `parseMetadataFilter`). */
  metadata?: Readonly<Record<string, string>> | undefined;
  /** The object key an upload URL answered: finds the file(s) uploaded there. */
  key?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export async function listFiles(deps: FileReadDeps, tenant: string, query: FileListQuery) {
  if (query.dataset !== undefined) checkDatasetName(query.dataset);
  let dataset = query.dataset;
  if (query.key !== undefined) {
    let parts: ReturnType<typeof parseObjectKey>;
    try {
      parts = parseObjectKey(query.key);
    } catch (error) {
      throw new InvalidInputError(`key: ${(error as Error).message}`, [], { cause: error });
    }
    // Another tenant's key names no file of this tenant: an empty page, as for any key without a file
    // (records are read from this tenant's partition only, so nothing else could be found anyway).
    if (parts.tenant !== tenant || (dataset !== undefined && dataset !== parts.dataset)) return { files: [] };
    // The key names the dataset: its index (gsi2) holds the file, so the key filter reads that dataset only.
    dataset = parts.dataset;
  }
  const page = await deps.metadata.listFiles(tenant, {
    status: query.status,
    dataset,
    dataType: query.type,
    metadata: query.metadata,
    key: query.key,
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
