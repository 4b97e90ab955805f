/**
 * Error paths of the S3 adapter that the local MinIO (root credentials, no IAM) cannot produce: AWS
 * answering 403 for a missing key to a function whose ListBucket grant is limited to a prefix.
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../shared/adapters/s3-object-store.js';
import { ObjectMissingError } from '../../shared/errors.js';

const s3 = mockClient(S3Client);
const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }), 'data');

const forbidden = () =>
  new S3ServiceException({ name: 'Forbidden', $fault: 'client', $metadata: { httpStatusCode: 403 } });

beforeEach(() => s3.reset());

describe('S3ObjectStore on a 403', () => {
  it('reads a key that is not even listed as missing', async () => {
    // Prepare
    s3.on(HeadObjectCommand).rejects(forbidden());
    s3.on(GetObjectCommand).rejects(forbidden());
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'reports/t/d/f/profile.json.bak' }] });

    // Act
    const exists = await store.exists('reports/t/d/f/profile.json');
    const json = await store.getJson('reports/t/d/f/profile.json');
    const stat = store.stat({ bucket: 'data', key: 'reports/t/d/f/profile.json' });

    // Assess
    expect(exists).toBe(false);
    expect(json).toBeUndefined();
    await expect(stat).rejects.toBeInstanceOf(ObjectMissingError);
    expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toMatchObject({
      Bucket: 'data',
      Prefix: 'reports/t/d/f/profile.json',
      MaxKeys: 1,
    });
  });

  it('keeps a refusal of a key that exists a refusal', async () => {
    // Prepare
    s3.on(HeadObjectCommand).rejects(forbidden());
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'fresh/t/d/a.csv' }] });

    // Act
    const exists = store.exists('fresh/t/d/a.csv');

    // Assess
    await expect(exists).rejects.toMatchObject({ name: 'Forbidden' });
  });
});
