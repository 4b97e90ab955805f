import { Readable } from 'node:stream';
import type { PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

/** 8 MiB parts: S3's minimum is 5 MiB; two parts in flight keep a Lambda's memory flat. */
const PART_SIZE = 8 * 1024 * 1024;

/**
 * Streams `body` to S3 (one PutObject, or a multipart upload past one part) and returns how many bytes
 * it sent. SDK errors propagate unchanged for the caller to classify; lib-storage sends conditions such as
 * `IfNoneMatch` with the PutObject or the CompleteMultipartUpload, and aborts the upload when S3 refuses.
 */
export async function uploadStream(
  s3: S3Client,
  params: Omit<PutObjectCommandInput, 'Body'>,
  body: AsyncIterable<Uint8Array>,
): Promise<number> {
  let size = 0;
  const counted = Readable.from(
    (async function* () {
      for await (const chunk of body) {
        size += chunk.byteLength;
        yield chunk;
      }
    })(),
  );
  await new Upload({
    client: s3,
    params: { ...params, Body: counted },
    partSize: PART_SIZE,
    queueSize: 2,
  }).done();
  return size;
}
