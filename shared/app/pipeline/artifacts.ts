/**
 * What the stages leave in S3 for the stages after them, and the deps every stage takes. Keys and counts
 * travel through the state machine; data, schemas and reports do not: each stage reads what an earlier one
 * wrote (the staged Parquet file, the profile) and writes its own artifact. All of it is derived data, so a
 * retried stage rewrites the same keys.
 */
import type { z } from 'zod';
import { reportKey, stagedChunkKey } from '../../domain/object-key.js';
import { isStrataError } from '../../errors.js';
import type { ParquetFile } from '../../formats/parquet.js';
import type { Clock, DatasetStore, Logger, MetricsRecorder, ObjectStore } from '../../ports.js';
import type { ReportMeta } from '../../reports/html.js';
import type { afterProfileSchema } from '../../schemas/ingestion.js';
import { openParquetObjects } from '../io/parquet-files.js';

export interface StageDeps {
  store: ObjectStore;
  datasets: DatasetStore;
  clock: Clock;
  logger: Logger;
  metrics: MetricsRecorder;
}

/**
 * The keys of the file's staged Parquet, in row order: the one staged file, or, for a file parsed in
 * chunks, each chunk's file (the first of them is `parse.stagedKey`).
 */
export function stagedKeysOf(
  file: { tenant: string; dataset: string; fileId: string },
  parse: { stagedKey: string; chunkCount?: number | undefined },
): string[] {
  if (parse.chunkCount === undefined) return [parse.stagedKey];
  return Array.from({ length: parse.chunkCount }, (_, i) =>
    stagedChunkKey(file.tenant, file.dataset, file.fileId, i),
  );
}

/**
 * The staged Parquet, its chunk files read as one file: its footer is where the stages after parse take
 * the schema from (the state carries only keys and counts), and it holds exactly what parse wrote
 * (names, types, nullability).
 */
export async function openStaged(
  deps: Pick<StageDeps, 'store'>,
  keys: readonly string[],
): Promise<ParquetFile> {
  return openParquetObjects(deps.store, keys);
}

/** The file as the stages after profile get it in their state. */
export type FileState = z.infer<typeof afterProfileSchema>['file'];

/** What a stage's HTML report says about the file it was made for. */
export function reportMeta(file: FileState, createdAt: Date): ReportMeta {
  return {
    tenant: file.tenant,
    dataset: file.dataset,
    fileId: file.fileId,
    sourceKey: file.object.key,
    createdAt: createdAt.toISOString(),
  };
}

/** A stage's report as JSON and as self-contained HTML, side by side under reports/. */
export async function writeReport(
  store: ObjectStore,
  file: FileState,
  kind: 'quality' | 'drift',
  json: unknown,
  html: string,
): Promise<{ reportKey: string; htmlKey: string }> {
  const keys = {
    reportKey: reportKey(file.tenant, file.dataset, file.fileId, kind),
    htmlKey: reportKey(file.tenant, file.dataset, file.fileId, kind, 'html'),
  };
  await Promise.all([
    store.putJson(keys.reportKey, json),
    store.write(keys.htmlKey, single(new TextEncoder().encode(html)), {
      contentType: 'text/html; charset=utf-8',
    }),
  ]);
  return keys;
}

async function* single(chunk: Uint8Array): AsyncIterable<Uint8Array> {
  yield chunk;
}

/** A small binary object of the data bucket (a chunk's mergeable state), or undefined when there is none. */
export async function readBlob(deps: Pick<StageDeps, 'store'>, key: string): Promise<Uint8Array | undefined> {
  const parts: Uint8Array[] = [];
  let length = 0;
  try {
    for await (const part of deps.store.read({ bucket: deps.store.bucket, key })) {
      parts.push(part);
      length += part.length;
    }
  } catch (error) {
    if (isStrataError(error) && error.name === 'ObjectMissingError') return undefined;
    throw error;
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

/** Writes a small binary object of the data bucket (see readBlob), in one request. */
export async function writeBlob(
  deps: Pick<StageDeps, 'store'>,
  key: string,
  bytes: Uint8Array,
): Promise<void> {
  await deps.store.put(key, bytes, { contentType: 'application/octet-stream' });
}
