import { describe, expect, it } from 'vitest';
import { CSV_STEP_BUDGET_MS, downloadTableVersion } from '../../shared/app/io/table-download.js';
import type { TableVersionFiles } from '../../shared/app/io/table-files.js';
import type { TableSchema } from '../../shared/domain/table.js';
import { writeParquet } from '../../shared/formats/parquet.js';
import type { ObjectStore } from '../../shared/ports.js';
import { rangeSource } from './parse/sources.js';

const schema: TableSchema = { columns: [{ name: 'id', type: 'int', nullable: false }] };

/** A table version of `count` one-row data files in an object map, and a store over it. */
async function tableOf(count: number) {
  const objects = new Map<string, Uint8Array>();
  const files: TableVersionFiles['files'] = [];
  for (let i = 0; i < count; i++) {
    const chunks: Uint8Array[] = [];
    async function* one() {
      yield { schema, numRows: 1, columns: [[i]] };
    }
    await writeParquet(schema, one(), async (c) => void chunks.push(c));
    const key = `tables/t/d/part-f${i}.parquet`;
    objects.set(key, new Uint8Array(Buffer.concat(chunks)));
    files.push({ path: `part-f${i}.parquet`, key, size: objects.get(key)?.length ?? 0, stats: undefined });
  }
  const writes: string[] = [];
  const store = {
    bucket: 'data',
    openRange: async (ref: { key: string }) => rangeSource(objects.get(ref.key) as Uint8Array),
    exists: async (key: string) => objects.has(key),
    stat: async (ref: { key: string }) => ({ size: objects.get(ref.key)?.length ?? 0 }),
    presignGet: async (key: string) => `https://signed/${key}`,
    async write(key: string, body: AsyncIterable<Uint8Array>) {
      const parts: Uint8Array[] = [];
      for await (const part of body) parts.push(part);
      objects.set(key, new Uint8Array(Buffer.concat(parts)));
      writes.push(key);
      return { size: objects.get(key)?.length ?? 0 };
    },
  } as unknown as ObjectStore;
  const at: TableVersionFiles = {
    root: 'tables/t/d/',
    uri: 's3://data/tables/t/d',
    deltaVersion: 4,
    schema,
    files,
  };
  return { store, at, writes, objects };
}

const request = {
  tenant: 't',
  dataset: 'd',
  format: 'csv' as const,
  name: 'd-v5',
  filesRoute: '/datasets/d/versions/5/files',
  expiresInSeconds: 60,
};

describe('downloadTableVersion', () => {
  it('makes a multi-file CSV in steps bounded by the budget, one file at least, until every file has one', async () => {
    // Prepare: a clock that moves past the budget with every conversion.
    const { store, at, writes, objects } = await tableOf(3);
    let now = 0;
    const clock = {
      now: () => {
        now += CSV_STEP_BUDGET_MS + 1;
        return new Date(now);
      },
    };

    // Act
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await downloadTableVersion({ store, clock }, at, request));

    // Assess: each call converted one file; the third answers all three.
    expect(answers.map((a) => a.status)).toEqual(['pending', 'pending', 'ready']);
    expect(answers.map((a) => a.progress?.ready)).toEqual([1, 2, undefined]);
    expect(writes).toHaveLength(3);
    expect(new Set(writes).size).toBe(3);
    expect(answers[2]?.files?.map((f) => f.path)).toEqual(at.files.map((f) => f.path));
    const texts = writes.map((k) => new TextDecoder().decode(objects.get(k)));
    expect(texts).toEqual(['id\n0\n', 'id\n1\n', 'id\n2\n']);
  });

  it('hands out a multi-file Parquet version as its files, and past the limit only the files route', async () => {
    // Prepare
    const { store, at } = await tableOf(2);
    const clock = { now: () => new Date(0) };

    // Act
    const parquet = await downloadTableVersion({ store, clock }, at, { ...request, format: 'parquet' });
    const many = await downloadTableVersion(
      { store, clock },
      { ...at, files: Array.from({ length: 501 }, (_, i) => ({ ...at.files[0], path: `p${i}` }) as never) },
      { ...request, format: 'parquet' },
    );

    // Assess
    expect(parquet.files?.map((f) => f.url)).toEqual(at.files.map((f) => `https://signed/${f.key}`));
    expect(many).toMatchObject({ status: 'ready', files_total: 501, files_route: request.filesRoute });
    expect(many.files).toBeUndefined();
  });
});
