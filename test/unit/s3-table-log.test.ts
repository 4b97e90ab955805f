/**
 * What the local MinIO (root credentials) cannot show: AWS answering 403 for a missing log entry to a
 * function whose ListBucket grant is limited to `tables/*`, as every table reader and writer's is.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3TableLog } from '../../shared/adapters/delta/s3-table-log.js';

const s3 = mockClient(S3Client);
const log = new S3TableLog(new S3Client({ region: 'us-east-1' }), 'data', 'tables/acme/meter/');

const forbidden = () =>
  new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } });

beforeEach(() => s3.reset());

describe('S3TableLog on a 403', () => {
  it('reads an entry that is not even listed as missing: a table without checkpoints', async () => {
    // Prepare
    s3.on(GetObjectCommand).rejects(forbidden());
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });

    // Act
    const last = await log.readLastCheckpoint();
    const commit = await log.readCommit(3);

    // Assess
    expect(last).toBeUndefined();
    expect(commit).toBeUndefined();
    expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toMatchObject({
      Bucket: 'data',
      Prefix: 'tables/acme/meter/_delta_log/_last_checkpoint',
      MaxKeys: 1,
    });
  });

  it('keeps a refusal of an entry that exists a refusal', async () => {
    // Prepare
    s3.on(GetObjectCommand).rejects(forbidden());
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: 'tables/acme/meter/_delta_log/_last_checkpoint' }],
    });

    // Act
    const last = log.readLastCheckpoint();

    // Assess
    await expect(last).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
