/** What pull connectors read: database and REST records, a foreign bucket's objects. */
import type { WatermarkState } from '../domain/connector-runs.js';
import type {
  DatabaseConnectorConfig,
  RestConnectorConfig,
  S3ConnectorConfig,
  Watermark,
} from '../domain/connectors.js';
import type { SourceColumn } from '../domain/source-records.js';

/** One batch of records from a database or REST source, in source order. */
export interface SourceRecordBatch {
  records: Record<string, unknown>[];
  /** Column types the source declares (database result metadata); REST sources leave them to inference. */
  columns?: SourceColumn[] | undefined;
  /**
   * The watermark once this batch is stored: never behind the starting one. A source cuts batches only
   * between different incremental values, so every record at this watermark is in this batch or earlier.
   */
  watermark: Watermark | undefined;
  /** Records the source returned for this batch (including skipped ones). */
  read: number;
  /** Records at or before the watermark, or without the incremental field (this batch). */
  skipped: number;
}

/**
 * The slice of `fetch` a REST source uses; global `fetch` satisfies it, the host guard gives one pinned to
 * checked addresses, tests may pass a fake.
 */
export type FetchLike = (
  url: string,
  init: { method: 'GET'; headers: Record<string, string> },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

/** A database table/query or a REST API, read from a watermark on. Closing the iterator releases it. */
export interface RecordSource {
  pull(from: Watermark | undefined): AsyncIterable<SourceRecordBatch>;
}

export interface SourceObject {
  key: string;
  size: number;
  eTag: string;
  lastModified: Date;
}

/** One batch of new objects of a foreign bucket/prefix, oldest first. */
export interface SourceObjectBatch {
  objects: SourceObject[];
  watermark: WatermarkState;
  /** Objects listed under the prefix that were already taken (at or before the watermark). */
  skipped: number;
}

/** Another bucket/prefix (AWS or an S3-compatible endpoint). */
export interface ObjectSource {
  list(from: WatermarkState | undefined, batchSize: number): AsyncIterable<SourceObjectBatch>;
  read(key: string): AsyncIterable<Uint8Array>;
}

/** Builds the source a connector names; the one place that knows drivers and foreign clients (wiring). */
export interface SourceFactory {
  records(config: DatabaseConnectorConfig | RestConnectorConfig, secret: string | undefined): RecordSource;
  objects(config: S3ConnectorConfig, secret: string | undefined): ObjectSource;
}
