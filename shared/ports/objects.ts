/** The data bucket: objects read, written, copied and listed, presigned URLs, byte ranges. */
import type { ObjectRef } from '../domain/file-record.js';

export interface ObjectInfo {
  size: number;
  eTag: string;
  versionId?: string | undefined;
  lastModified: Date;
  /** User metadata (x-amz-meta-*), keys lower-cased. */
  metadata: Record<string, string>;
}

export interface ObjectStore {
  /** Throws ObjectMissingError when the object (or that version of it) does not exist. */
  stat(ref: ObjectRef): Promise<ObjectInfo>;
  /** Streams the object's bytes; memory does not grow with its size. */
  read(ref: ObjectRef): AsyncIterable<Uint8Array>;
  /** Server-side copy within the bucket; the destination is written only if absent. */
  copy(from: ObjectRef, toKey: string): Promise<void>;
  /** Random access by byte range (Parquet footers and row groups), without reading the rest. */
  openRange(ref: ObjectRef): Promise<ByteRangeSource>;
  /** Streams `body` into the data bucket (multipart), memory bounded by the part size. */
  write(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options?: { contentType?: string },
  ): Promise<{ size: number }>;
  /**
   * Writes a JSON document. With `ifAbsent` the key is only created, never replaced: a ConflictError
   * says a document is already there (immutable records such as training-set manifests).
   */
  putJson(key: string, value: unknown, options?: { ifAbsent?: boolean }): Promise<void>;
  /**
   * Writes a small object in one request, with user metadata. With `ifAbsent` an existing key is left
   * alone and reported (`created: false`) instead of replaced.
   */
  put(
    key: string,
    body: Uint8Array,
    options?: { contentType?: string; metadata?: Record<string, string>; ifAbsent?: boolean },
  ): Promise<{ created: boolean; versionId?: string | undefined }>;
  /** A JSON document of the data bucket, or undefined when there is none at that key. */
  getJson(key: string): Promise<unknown | undefined>;
  exists(key: string): Promise<boolean>;
  /**
   * Removes the current version of `key` of the data bucket. On the versioned data bucket this adds a
   * delete marker: earlier versions stay until the noncurrent-version lifecycle rule expires them.
   */
  delete(key: string): Promise<void>;
  /** A time-limited GET URL for a key of the data bucket. */
  presignGet(key: string, expiresInSeconds: number, downloadName?: string): Promise<string>;
  /** A time-limited PUT URL that can create `key` (never overwrite it), with the headers to send. */
  presignPut(key: string, options: PresignPutOptions): Promise<PresignedPut>;
  /** The data bucket writes go to. */
  readonly bucket: string;
}

/**
 * Create-only writes into one prefix of the data bucket, for a function that may not read objects (the
 * connector pull: it must never be able to read what other tenants dropped). Nothing is ever replaced.
 */
export interface DropBox {
  /** Creates `key` unless it exists (`created: false`, the stored object untouched). */
  put(
    key: string,
    body: Uint8Array,
    options?: { contentType?: string; metadata?: Record<string, string> },
  ): Promise<{ created: boolean }>;
  /** Streams `body` into `key` unless it exists; memory bounded by the part size. */
  write(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options?: { contentType?: string },
  ): Promise<{ created: boolean; size: number }>;
  /** Whether `key` exists, told by listing (no read permission needed). */
  exists(key: string): Promise<boolean>;
}

export interface PresignPutOptions {
  expiresInSeconds: number;
  /** The body's exact length, signed: S3 refuses a PUT of any other length. */
  contentLength: number;
  /** Stored as x-amz-meta-*; signed into the URL. */
  metadata?: Record<string, string>;
  contentType?: string;
}

export interface PresignedPut {
  url: string;
  /** Headers the uploader must send with the PUT (they are part of the signature). */
  headers: Record<string, string>;
}

export interface ByteRangeSource {
  size: number;
  /** Bytes [start, end). */
  read(start: number, end: number): Promise<Uint8Array>;
}

/** The current version of an object, as a listing gives it. */
export interface ListedObject {
  key: string;
  /** Absent on an unversioned bucket (S3 lists those as "null"; events carry none). */
  versionId?: string | undefined;
  eTag: string;
  size: number;
  lastModified: Date;
}

/** Lists the current objects under a prefix of the data bucket, in key order, page by page. */
export interface ObjectLister {
  readonly bucket: string;
  listCurrent(prefix: string): AsyncIterable<ListedObject>;
}
