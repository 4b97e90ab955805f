import { createServer } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../shared/adapters/s3-object-store.js';
import { isRetryableSdkError } from '../../shared/adapters/sdk-errors.js';
import { TransientError } from '../../shared/errors.js';

/** A loopback port nobody listens on: connecting to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('SDK errors', () => {
  it('turns a server that refuses connections into a TransientError the state machine retries', async () => {
    // Prepare: a real S3 client aimed at a stopped server
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    });
    const store = new S3ObjectStore(client, 'data');

    // Act
    const exists = store.exists('fresh/t/d/a.csv');

    // Assess
    await expect(exists).rejects.toBeInstanceOf(TransientError);
  });

  it('judges socket codes on the error or its cause, and leaves client mistakes alone', () => {
    expect(isRetryableSdkError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(
      isRetryableSdkError(new Error('x', { cause: Object.assign(new Error('y'), { code: 'EAI_AGAIN' }) })),
    ).toBe(true);
    expect(isRetryableSdkError({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })).toBe(false);
    expect(isRetryableSdkError({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } })).toBe(true);
  });
});
