/**
 * The SDK's data loader against the local cloud: a table of six data files, several times larger than the
 * loader's buffer, read back with every row exactly once (in order, shuffled, per split, through a
 * training set) while the loader never holds more rows than its buffer; another tenant's key refused.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDataLoader, type DataLoaderOptions } from '../../shared/client/data-loader.js';
import { ApiError } from '../../shared/client/http.js';
import { createStrataClient } from '../../shared/client/strata.js';
import { cloudContext, executionArnFor, newTenant, waitForExecution } from '../support/cloud.js';

const ctx = cloudContext();
const bucket = ctx.info.dataBucket;
const FILES = 6;
const ROWS_PER_FILE = 250;
const TOTAL = FILES * ROWS_PER_FILE;
/** A row group (one per file here) beside a batch being filled, and a little room: under a quarter of the table. */
const BUFFER = 320;
const BATCH = 50;

let tenant: string;
let apiKey: string;
let strangerKey: string;

const allIds = Array.from({ length: TOTAL }, (_, i) => i + 1);

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'loader'));
  strangerKey = (await newTenant(ctx, 'loader-other')).apiKey;
  // Dropped at once: six appends, six Delta commits, six data files.
  await Promise.all(
    Array.from({ length: FILES }, async (_, f) => {
      const lines = ['id,ts,label'];
      for (let r = 0; r < ROWS_PER_FILE; r++) {
        const id = f * ROWS_PER_FILE + r + 1;
        lines.push(
          `${id},${new Date(Date.UTC(2026, 0, 1, 0, 0, id)).toISOString()},${id % 3 === 0 ? 'a' : 'b'}`,
        );
      }
      const key = `fresh/${tenant}/clicks/part-${f}.csv`;
      const put = await ctx.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${lines.join('\n')}\n` }),
      );
      const execution = await waitForExecution(
        ctx.sfn,
        executionArnFor(ctx.info, { bucket, key, versionId: put.VersionId }),
        180_000,
      );
      expect(execution.status, execution.cause).toBe('SUCCEEDED');
    }),
  );
}, 300_000);

const options = <A extends 'arrow' | 'rows' = 'rows'>(
  extra: Partial<DataLoaderOptions<A>> = {},
): DataLoaderOptions<A> => ({
  apiUrl: ctx.info.apiUrl,
  apiKey,
  dataset: 'clicks',
  batchSize: BATCH,
  bufferRows: BUFFER,
  as: 'rows' as A,
  ...extra,
});

async function idsOf(batches: AsyncIterable<unknown>): Promise<number[]> {
  const ids: number[] = [];
  for await (const batch of batches as AsyncIterable<Array<Record<string, unknown>>>) {
    for (const row of batch) ids.push(Number(row.id));
  }
  return ids;
}

const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);

describe('the data loader', () => {
  it('reads every row of a multi-file table exactly once, never holding more rows than its buffer', async () => {
    // Prepare
    const loader = createDataLoader(options());

    // Act
    const ids = await idsOf(loader);

    // Assess
    const files = await createStrataClient({ apiUrl: ctx.info.apiUrl, apiKey }).versionFiles('clicks', FILES);
    expect(files.filesTotal).toBe(FILES);
    expect(sorted(ids)).toEqual(allIds);
    expect(loader.stats.rowsRead).toBe(TOTAL);
    expect(TOTAL).toBeGreaterThan(4 * BUFFER);
    expect(loader.stats.peakBufferedRows).toBeLessThanOrEqual(BUFFER);
    expect(loader.stats.peakBufferedRows).toBeGreaterThanOrEqual(ROWS_PER_FILE);
  });

  it('shuffles deterministically for a seed, each epoch its own order, every row once, in Arrow batches', async () => {
    // Prepare
    const loader = createDataLoader(options({ shuffle: true, seed: 11, as: 'arrow' }));
    const again = createDataLoader(options({ shuffle: true, seed: 11, as: 'arrow' }));
    const arrowIds = async (batches: AsyncIterable<{ getChild(name: string): unknown }>) => {
      const ids: number[] = [];
      for await (const batch of batches)
        ids.push(...Array.from(batch.getChild('id') as Iterable<bigint>, Number));
      return ids;
    };

    // Act
    const first = await arrowIds(loader.batches());
    const repeat = await arrowIds(again.batches());
    const nextEpoch = await arrowIds(loader.batches({ epoch: 1 }));

    // Assess
    expect(sorted(first)).toEqual(allIds);
    expect(sorted(nextEpoch)).toEqual(allIds);
    expect(repeat).toEqual(first);
    expect(first).not.toEqual(allIds);
    expect(nextEpoch).not.toEqual(first);
    expect(loader.stats.peakBufferedRows).toBeLessThanOrEqual(BUFFER);
  });

  it('splits by a key column into disjoint parts that cover the table, in proportion', async () => {
    // Prepare
    const split = { train: 0.8, test: 0.2 };
    const loader = createDataLoader(options({ split, splitKey: 'id', shuffle: true, seed: 5 }));

    // Act
    const train = await idsOf(loader.batches({ split: 'train' }));
    const test = await idsOf(loader.batches({ split: 'test' }));
    const trainAgain = await idsOf(loader.batches({ split: 'train', epoch: 3 }));

    // Assess
    expect(train.filter((id) => test.includes(id))).toEqual([]);
    expect(sorted([...train, ...test])).toEqual(allIds);
    expect(sorted(trainAgain)).toEqual(sorted(train));
    // 0.06 is about six standard deviations of the proportion at 1500 rows.
    expect(Math.abs(train.length / TOTAL - 0.8)).toBeLessThan(0.06);
  });

  it("reads a training set's table version and its file selection", async () => {
    // Prepare
    const client = createStrataClient({ apiUrl: ctx.info.apiUrl, apiKey });
    const ofTable = await client.createTrainingSet({ dataset: 'clicks', version: FILES });
    const ofFiles = await client.createTrainingSet({ dataset: 'clicks' });

    // Act
    const fromTable = await idsOf(createDataLoader(options({ dataset: undefined, trainingSet: ofTable.id })));
    const fromFiles = await idsOf(
      createDataLoader(options({ dataset: undefined, trainingSet: ofFiles.id, columns: ['id'] })),
    );

    // Assess
    expect(ofTable.selection).toBe('table');
    expect(sorted(fromTable)).toEqual(allIds);
    expect(ofFiles.selection).toBe('fresh');
    expect(sorted(fromFiles)).toEqual(allIds);
  });

  it("refuses another tenant's key as if the dataset did not exist", async () => {
    // Act
    const attempt = idsOf(createDataLoader(options({ apiKey: strangerKey })));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ApiError);
    await expect(attempt).rejects.toMatchObject({ status: 404 });
  });
});
