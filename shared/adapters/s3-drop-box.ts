import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DropBox } from '../ports.js';
import { uploadStream } from './s3-upload.js';
import { rethrowSdkError, sdkErrorName } from './sdk-errors.js';

/** What S3 answers to a create-only write of a key that exists (or is being written concurrently). */
function alreadyThere(error: unknown): boolean {
  const name = sdkErrorName(error);
  return name === 'PreconditionFailed' || name === 'ConditionalRequestConflict';
}

/**
 * The data bucket as a drop box: every write carries `If-None-Match: *`, so S3 itself refuses to replace
 * a key, and nothing here reads an object, so the role behind it needs PutObject and a prefix-limited
 * ListBucket only.
 */
export class S3DropBox implements DropBox {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async put(
    key: string,
    body: Uint8Array,
    options: { contentType?: string; metadata?: Record<string, string> } = {},
  ): Promise<{ created: boolean }> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: options.contentType,
          Metadata: options.metadata,
          IfNoneMatch: '*',
        }),
      );
      return { created: true };
    } catch (error) {
      if (alreadyThere(error)) return { created: false };
      rethrowSdkError('PutObject', error);
    }
  }

  async write(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options: { contentType?: string } = {},
  ): Promise<{ created: boolean; size: number }> {
    try {
      const size = await uploadStream(
        this.s3,
        { Bucket: this.bucket, Key: key, ContentType: options.contentType, IfNoneMatch: '*' },
        body,
      );
      return { created: true, size };
    } catch (error) {
      if (alreadyThere(error)) return { created: false, size: 0 };
      rethrowSdkError('Upload', error);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: key, MaxKeys: 1 }),
      );
      return page.Contents?.[0]?.Key === key;
    } catch (error) {
      rethrowSdkError('ListObjectsV2', error);
    }
  }
}
