import { createHash } from 'node:crypto';
import { type FileRecord, fileIdFor, linksFromMetadata, objectVersion } from '../domain/file-record.js';
import { detectDataType, detectFormat, parseObjectKey } from '../domain/object-key.js';
import type { Clock, Logger, MetadataStore, ObjectStore } from '../ports.js';
import type { IngestionInput, RegisterOutput } from '../schemas/ingestion.js';

export interface RegisterFileDeps {
  store: ObjectStore;
  metadata: MetadataStore;
  clock: Clock;
  logger: Logger;
}

/**
 * Stage 1: identify the file. Hashes the exact object version the event named (streaming, so memory
 * is flat in file size) and records it once; a content hash the dataset already has makes it a
 * DUPLICATE, which ends the pipeline for that file.
 */
export async function registerFile(deps: RegisterFileDeps, input: IngestionInput): Promise<RegisterOutput> {
  const { tenant, dataset, fileName } = parseObjectKey(input.object.key);
  const info = await deps.store.stat(input.object);
  // Pin the version we hash: a later overwrite of the key must not change what this file is.
  const ref = { ...input.object, versionId: input.object.versionId ?? info.versionId, eTag: info.eTag };
  const format = detectFormat(fileName, info.metadata.format);
  const dataType = detectDataType(fileName, info.metadata['data-type']);

  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of deps.store.read(ref)) {
    hash.update(chunk);
    size += chunk.byteLength;
  }

  const now = deps.clock.now().toISOString();
  const links = linksFromMetadata(info.metadata);
  const record: FileRecord = {
    // Identity from the event's own reference, so every delivery of it maps to this record.
    fileId: fileIdFor(input.object),
    tenant,
    dataset,
    bucket: ref.bucket,
    key: ref.key,
    objectVersion: objectVersion(ref),
    fileName,
    sha256: hash.digest('hex'),
    size,
    format,
    dataType,
    status: 'FRESH',
    stage: 'register',
    uploadedAt: info.lastModified.toISOString(),
    registeredAt: now,
    ...(links && { links }),
  };
  const result = await deps.metadata.registerFile(record);
  const stored = result.record;
  deps.logger.info('file registered', {
    fileId: stored.fileId,
    outcome: result.outcome,
    sha256: stored.sha256,
    size: stored.size,
  });
  return {
    fileId: stored.fileId,
    tenant,
    dataset,
    object: { bucket: ref.bucket, key: ref.key, versionId: ref.versionId, eTag: ref.eTag },
    sha256: stored.sha256,
    size: stored.size,
    format: stored.format,
    dataType: stored.dataType,
    outcome: stored.status === 'DUPLICATE' ? 'DUPLICATE' : 'REGISTERED',
    ...(stored.links && { links: stored.links }),
  };
}
