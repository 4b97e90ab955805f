import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../shared/adapters/s3-object-store.js';
import { createUploadUrls, type UploadDeps } from '../../shared/app/uploads.js';
import { UploadTooLargeError } from '../../shared/errors.js';
import type { ObjectStore, PresignPutOptions } from '../../shared/ports.js';

const GIB = 1024 ** 3;

/** Records what the use case asks the store to sign. */
function recordingDeps(maxUploadBytes: number) {
  const signed: Array<{ key: string; options: PresignPutOptions }> = [];
  const store = {
    bucket: 'data',
    presignPut: async (key: string, options: PresignPutOptions) => {
      signed.push({ key, options });
      return {
        url: `https://s3.example/${key}`,
        headers: { 'content-length': String(options.contentLength) },
      };
    },
  } as unknown as ObjectStore;
  const deps: UploadDeps = { store, clock: { now: () => new Date('2026-12-01T00:00:00Z') }, maxUploadBytes };
  return { deps, signed };
}

describe('presigned uploads', () => {
  it('signs the declared size into the URL and answers it', async () => {
    // Prepare
    const { deps, signed } = recordingDeps(5 * GIB);

    // Act
    const [upload] = await createUploadUrls(deps, 't1', [
      { dataset: 'sales', fileName: 'a.csv', size: 1234 },
    ]);

    // Assess
    expect(signed).toEqual([
      { key: 'fresh/t1/sales/a.csv', options: expect.objectContaining({ contentLength: 1234 }) },
    ]);
    expect(upload).toMatchObject({ size: 1234, headers: { 'content-length': '1234' } });
  });

  it('hands out a URL for exactly the limit and refuses one byte more, naming the file and the limit', async () => {
    // Prepare
    const { deps, signed } = recordingDeps(1000);

    // Act
    const atLimit = createUploadUrls(deps, 't1', [{ dataset: 'd', fileName: 'ok.csv', size: 1000 }]);
    const over = createUploadUrls(deps, 't1', [
      { dataset: 'd', fileName: 'small.csv', size: 10 },
      { dataset: 'd', fileName: 'big.csv', size: 1001 },
    ]);

    // Assess
    await expect(atLimit).resolves.toHaveLength(1);
    const error = await over.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadTooLargeError);
    expect(error).toMatchObject({ name: 'UploadTooLargeError', statusCode: 422, size: 1001, maxBytes: 1000 });
    expect((error as Error).message).toBe(
      "files[1]: big.csv is declared 1001 bytes, over this deployment's upload limit of 1000 bytes",
    );
    expect(signed.map((s) => s.key)).not.toContain('fresh/t1/d/big.csv');
  });

  it('signs content-length as a header of the presigned PUT, beside if-none-match', async () => {
    // Prepare
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    });
    const store = new S3ObjectStore(s3, 'data');

    // Act
    const signed = await store.presignPut('fresh/t1/d/a.csv', { expiresInSeconds: 60, contentLength: 42 });

    // Assess
    const signedHeaders = new URL(signed.url).searchParams.get('X-Amz-SignedHeaders')?.split(';');
    expect(signedHeaders).toEqual(expect.arrayContaining(['content-length', 'host', 'if-none-match']));
    expect(signed.headers).toEqual({ 'if-none-match': '*', 'content-length': '42' });
  });
});
