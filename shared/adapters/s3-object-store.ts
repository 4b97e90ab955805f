import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ObjectRef } from '../domain/file-record.js';
import { ConflictError, ObjectMissingError } from '../errors.js';
import type { ByteRangeSource, ObjectInfo, ObjectStore, PresignedPut, PresignPutOptions } from '../ports.js';
import { uploadStream } from './s3-upload.js';
import { rethrowSdkError, sdkErrorName } from './sdk-errors.js';

const MISSING = new Set(['NotFound', 'NoSuchKey', 'NoSuchVersion']);

export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly s3: S3Client,
    /** The data bucket: where write/putJson/presign* go. */
    readonly bucket: string,
    /** Signs URLs (a client without default request checksums); defaults to `s3`. */
    private readonly presigner: S3Client = s3,
  ) {}

  async stat(ref: ObjectRef): Promise<ObjectInfo> {
    try {
      const head = await this.s3.send(
        new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }),
      );
      return {
        size: head.ContentLength ?? 0,
        eTag: (head.ETag ?? '').replace(/"/g, ''),
        versionId: head.VersionId,
        lastModified: head.LastModified ?? new Date(0),
        metadata: lowerKeys(head.Metadata ?? {}),
      };
    } catch (error) {
      if (await this.isMissing(error, ref.bucket, ref.key))
        throw new ObjectMissingError(ref.bucket, ref.key, { cause: error });
      rethrowSdkError('HeadObject', error);
    }
  }

  async *read(ref: ObjectRef): AsyncIterable<Uint8Array> {
    let body: AsyncIterable<Uint8Array>;
    try {
      const object = await this.s3.send(
        new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }),
      );
      // In Node the body is an IncomingMessage: an async iterable of Buffers, read as it arrives.
      body = object.Body as AsyncIterable<Uint8Array>;
    } catch (error) {
      if (await this.isMissing(error, ref.bucket, ref.key))
        throw new ObjectMissingError(ref.bucket, ref.key, { cause: error });
      rethrowSdkError('GetObject', error);
    }
    yield* body;
  }

  async copy(from: ObjectRef, toKey: string): Promise<void> {
    const source = `${from.bucket}/${encodeURIComponent(from.key).replace(/%2F/g, '/')}`;
    // MinIO (the local S3) ignores If-None-Match on CopyObject and would overwrite, so look first; the
    // condition below still closes the race where S3 honours it.
    if (from.bucket === this.bucket && (await this.exists(toKey))) return;
    try {
      await this.s3.send(
        new CopyObjectCommand({
          Bucket: from.bucket,
          Key: toKey,
          CopySource: from.versionId ? `${source}?versionId=${encodeURIComponent(from.versionId)}` : source,
          // Never overwrite: a quarantined or moved copy that exists is the one we keep.
          IfNoneMatch: '*',
        }),
      );
    } catch (error) {
      const name = sdkErrorName(error);
      if (name === 'PreconditionFailed' || name === 'ConditionalRequestConflict') return;
      if (await this.isMissing(error, from.bucket, from.key)) {
        throw new ObjectMissingError(from.bucket, from.key, { cause: error });
      }
      rethrowSdkError('CopyObject', error);
    }
  }

  async openRange(ref: ObjectRef): Promise<ByteRangeSource> {
    const info = await this.stat(ref);
    // Every range read pins the version we measured, so a concurrent overwrite cannot mix two objects.
    const pinned = { ...ref, versionId: ref.versionId ?? info.versionId };
    return {
      size: info.size,
      read: async (start: number, end: number) => {
        if (end <= start) return new Uint8Array(0);
        try {
          const object = await this.s3.send(
            new GetObjectCommand({
              Bucket: pinned.bucket,
              Key: pinned.key,
              VersionId: pinned.versionId,
              Range: `bytes=${start}-${end - 1}`,
            }),
          );
          return (await object.Body?.transformToByteArray()) ?? new Uint8Array(0);
        } catch (error) {
          if (await this.isMissing(error, pinned.bucket, pinned.key)) {
            throw new ObjectMissingError(pinned.bucket, pinned.key, { cause: error });
          }
          rethrowSdkError('GetObject (range)', error);
        }
      },
    };
  }

  async write(key: string, body: AsyncIterable<Uint8Array>, options: { contentType?: string } = {}) {
    try {
      const size = await uploadStream(
        this.s3,
        { Bucket: this.bucket, Key: key, ContentType: options.contentType },
        body,
      );
      return { size };
    } catch (error) {
      rethrowSdkError('Upload', error);
    }
  }

  async putJson(key: string, value: unknown, options: { ifAbsent?: boolean } = {}): Promise<void> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: JSON.stringify(value),
          ContentType: 'application/json',
          // S3 itself refuses to replace the key, so no check-then-write race is possible.
          ...(options.ifAbsent && { IfNoneMatch: '*' }),
        }),
      );
    } catch (error) {
      const name = sdkErrorName(error);
      if (options.ifAbsent && (name === 'PreconditionFailed' || name === 'ConditionalRequestConflict')) {
        throw new ConflictError(`s3://${this.bucket}/${key} already exists and is never overwritten`, {
          cause: error,
        });
      }
      rethrowSdkError('PutObject', error);
    }
  }

  async put(
    key: string,
    body: Uint8Array,
    options: { contentType?: string; metadata?: Record<string, string>; ifAbsent?: boolean } = {},
  ): Promise<{ created: boolean; versionId?: string | undefined }> {
    try {
      const result = await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: options.contentType,
          Metadata: options.metadata,
          ...(options.ifAbsent && { IfNoneMatch: '*' }),
        }),
      );
      return { created: true, versionId: result.VersionId };
    } catch (error) {
      const name = sdkErrorName(error);
      if (options.ifAbsent && (name === 'PreconditionFailed' || name === 'ConditionalRequestConflict')) {
        const info = await this.stat({ bucket: this.bucket, key });
        return { created: false, versionId: info.versionId };
      }
      rethrowSdkError('PutObject', error);
    }
  }

  async getJson(key: string): Promise<unknown | undefined> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return JSON.parse((await object.Body?.transformToString()) ?? 'null');
    } catch (error) {
      if (await this.isMissing(error, this.bucket, key)) return undefined;
      rethrowSdkError('GetObject', error);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (await this.isMissing(error, this.bucket, key)) return false;
      rethrowSdkError('HeadObject', error);
    }
  }

  /**
   * Whether a failed read means "no such object". S3 answers 404 only to a caller allowed to list the
   * bucket; functions may list just their prefixes (a condition on s3:prefix), which a read request does
   * not carry, so a missing key can answer 403. A listing of exactly that key tells the two apart: a key
   * that is listed but refused is a real AccessDenied and stays one.
   */
  private async isMissing(error: unknown, bucket: string, key: string): Promise<boolean> {
    if (MISSING.has(sdkErrorName(error) ?? '')) return true;
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 403)
      return false;
    try {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
      return page.Contents?.[0]?.Key !== key;
    } catch {
      return false;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      // No VersionId: on the versioned bucket this adds a delete marker, the data stays a noncurrent version.
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      rethrowSdkError('DeleteObject', error);
    }
  }

  presignGet(key: string, expiresInSeconds: number, downloadName?: string): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ...(downloadName && { ResponseContentDisposition: `attachment; filename="${downloadName}"` }),
    });
    return getSignedUrl(this.presigner, command, { expiresIn: expiresInSeconds });
  }

  async presignPut(key: string, options: PresignPutOptions): Promise<PresignedPut> {
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      Metadata: options.metadata,
      ContentType: options.contentType,
      // Signed as a header (content-length is never hoisted into the query): S3 answers 403
      // SignatureDoesNotMatch to a body of another length, so a URL cannot carry more than was declared.
      ContentLength: options.contentLength,
      // The upload can only create the key: an existing file is never overwritten through a URL we hand out.
      IfNoneMatch: '*',
    });
    const url = await getSignedUrl(this.presigner, command, {
      expiresIn: options.expiresInSeconds,
      // Signed as headers the uploader must send (a query parameter would not be enforced by S3).
      unhoistableHeaders: new Set(['if-none-match', ...(options.contentType ? ['content-type'] : [])]),
    });
    return {
      url,
      headers: {
        'if-none-match': '*',
        'content-length': String(options.contentLength),
        ...(options.contentType && { 'content-type': options.contentType }),
      },
    };
  }
}

function lowerKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
}
