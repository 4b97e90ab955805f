import { createHash } from 'node:crypto';
import {
  type FileRecord,
  fileIdFor,
  linksFromMetadata,
  objectVersion,
  userMetadataOf,
} from '../../domain/file-record.js';
import { detectDataType, detectFormat, parseObjectKey } from '../../domain/object-key.js';
import type { Clock, Logger, MetadataStore, ObjectStore, RegisterOutcome } from '../../ports.js';
import type { IngestionInput, RegisterOutput } from '../../schemas/ingestion.js';

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
  // The uploader's own keys, apart from the ones strata reads (data type, format, links) and bounded.
  const user = userMetadataOf(info.metadata);
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
    ...(user.metadata && { metadata: user.metadata }),
    ...(user.truncated && { metadataTruncated: true }),
  };
  if (user.truncated) {
    deps.logger.warn('object metadata over the record bounds: the record keeps part of it', {
      key: ref.key,
      kept: Object.keys(user.metadata ?? {}).length,
    });
  }
  const registered = await deps.metadata.registerFile(record);
  const result =
    registered.outcome === 'already-registered' && registered.record.status === 'QUARANTINED'
      ? await readmit(deps, record, registered.record, now)
      : registered;
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

/**
 * A QUARANTINED file met again by register is being retried (`POST /runs/{id}/retry`: the execution name
 * of an object is otherwise used once): it goes through the stages again. A file register had recorded
 * is re-admitted as FRESH (its failure kept in `previousFailures`, a new failure quarantines it again) and
 * claims its content hash again, which its quarantine released; if the same content was uploaded again
 * and claimed meanwhile, the file becomes a DUPLICATE of that upload instead, as it would have been had it
 * come second. The record a failure left before register ever recorded the file is replaced by a whole
 * registration.
 */
async function readmit(
  deps: RegisterFileDeps,
  record: FileRecord,
  quarantined: FileRecord,
  at: string,
): Promise<RegisterOutcome> {
  if (quarantined.sha256) {
    const readmitted = await deps.metadata.readmitFile(quarantined, at);
    deps.logger.info('quarantined file re-admitted', {
      fileId: record.fileId,
      readmitted: !!readmitted,
      status: readmitted?.status,
    });
    // Undefined: another attempt re-admitted it meanwhile; the record as it is now goes on.
    return {
      outcome: 'already-registered',
      record: readmitted ?? (await deps.metadata.getFile(record.tenant, record.fileId)) ?? quarantined,
    };
  }
  await deps.metadata.discardUnregisteredFile(record.tenant, record.fileId);
  const again = await deps.metadata.registerFile({
    ...record,
    ...(quarantined.failure && { previousFailures: [quarantined.failure] }),
  });
  deps.logger.info('quarantined file registered again', { fileId: record.fileId, outcome: again.outcome });
  return again;
}
