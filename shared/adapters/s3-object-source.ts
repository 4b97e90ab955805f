import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  advanceObjectWatermark,
  compareObjects,
  isNewObject,
  type WatermarkState,
} from '../domain/connector-runs.js';
import { SourceError } from '../errors.js';
import type { ObjectSource, SourceObject, SourceObjectBatch } from '../ports.js';
import { isRetryableSdkError, rethrowSdkError, sdkErrorName } from './sdk-errors.js';

/** Listing errors that no retry fixes: the connector names a bucket it cannot read. */
const REFUSED = new Set([
  'NoSuchBucket',
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'PermanentRedirect',
]);

/**
 * Another bucket/prefix (AWS, or an S3-compatible endpoint: the client passed in decides). S3 lists in
 * key order, not time order, so a pull lists the whole prefix, keeps the objects newer than the
 * watermark and takes them oldest first. Folder markers (keys ending in "/") and empty objects are no data.
 */
export class S3ObjectSource implements ObjectSource {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  async *list(from: WatermarkState | undefined, batchSize: number): AsyncIterable<SourceObjectBatch> {
    const fresh: SourceObject[] = [];
    let skipped = 0;
    let token: string | undefined;
    do {
      const page = await this.call('ListObjectsV2', () =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }),
        ),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined || o.Key.endsWith('/') || !o.Size || o.LastModified === undefined) continue;
        const object = { key: o.Key, size: o.Size, eTag: o.ETag ?? '', lastModified: o.LastModified };
        if (isNewObject(object, from)) fresh.push(object);
        else skipped++;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);

    fresh.sort(compareObjects);
    let mark = from;
    for (let i = 0; i < fresh.length; i += batchSize) {
      const objects = fresh.slice(i, i + batchSize);
      mark = advanceObjectWatermark(mark, objects);
      if (mark === undefined) break;
      yield { objects, watermark: mark, skipped: i === 0 ? skipped : 0 };
    }
  }

  async *read(key: string): AsyncIterable<Uint8Array> {
    const out = await this.call('GetObject', () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })),
    );
    if (out.Body === undefined) return;
    yield* out.Body as AsyncIterable<Uint8Array>;
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      const name = sdkErrorName(error) ?? 'unknown';
      if (!isRetryableSdkError(error) && (REFUSED.has(name) || name === 'NoSuchKey')) {
        throw new SourceError(`${operation} on s3://${this.bucket}/${this.prefix} refused: ${name}`);
      }
      return rethrowSdkError(`${operation} on the source bucket`, error);
    }
  }
}
