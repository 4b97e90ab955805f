import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../shared/adapters/s3-object-store.js';
import { cloudContext } from '../support/cloud.js';

const ctx = cloudContext();
const store = new S3ObjectStore(ctx.s3, ctx.info.dataBucket);

async function read(key: string): Promise<string> {
  const object = await ctx.s3.send(new GetObjectCommand({ Bucket: ctx.info.dataBucket, Key: key }));
  return (await object.Body?.transformToString()) ?? '';
}

describe('the S3 object store', () => {
  it('never overwrites the destination of a copy', async () => {
    // Prepare
    const suffix = Math.random().toString(36).slice(2);
    const put = (key: string, body: string) =>
      ctx.s3.send(new PutObjectCommand({ Bucket: ctx.info.dataBucket, Key: key, Body: body }));
    await put(`quarantine/store-test/${suffix}/kept.csv`, 'first');
    await put(`fresh/store-test/${suffix}/new.csv`, 'second');

    // Act
    await store.copy(
      { bucket: ctx.info.dataBucket, key: `fresh/store-test/${suffix}/new.csv` },
      `quarantine/store-test/${suffix}/kept.csv`,
    );

    // Assess
    expect(await read(`quarantine/store-test/${suffix}/kept.csv`)).toBe('first');
  });
});
