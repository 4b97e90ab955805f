import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectRef } from '../domain/file-record.js';
import { ObjectMissingError } from '../errors.js';
import type { ObjectInfo, ObjectStore } from '../ports.js';
import { rethrowSdkError, sdkErrorName } from './sdk-errors.js';

const MISSING = new Set(['NotFound', 'NoSuchKey', 'NoSuchVersion']);

export class S3ObjectStore implements ObjectStore {
  constructor(private readonly s3: S3Client) {}

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
      if (MISSING.has(sdkErrorName(error) ?? ''))
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
      if (MISSING.has(sdkErrorName(error) ?? ''))
        throw new ObjectMissingError(ref.bucket, ref.key, { cause: error });
      rethrowSdkError('GetObject', error);
    }
    yield* body;
  }

  async copy(from: ObjectRef, toKey: string): Promise<void> {
    const source = `${from.bucket}/${encodeURIComponent(from.key).replace(/%2F/g, '/')}`;
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
      if (MISSING.has(name ?? '')) throw new ObjectMissingError(from.bucket, from.key, { cause: error });
      rethrowSdkError('CopyObject', error);
    }
  }
}

function lowerKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
}
