import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/client/http.js';
import { httpRangeSource } from '../../shared/client/range-source.js';
import {
  batchRows,
  conformBatch,
  readFileBatches,
  schemaOfProfile,
  type TableFile,
  unionSchemas,
} from '../../shared/client/table-reader.js';
import { batchFromRows, type TableSchema } from '../../shared/domain/table.js';
import { writeParquet } from '../../shared/formats/parquet.js';

const fileSchema: TableSchema = {
  columns: [
    { name: 'id', type: 'int', nullable: false },
    { name: 'ts', type: 'timestamp', nullable: false },
  ],
};
const tableSchema: TableSchema = {
  columns: [
    { name: 'id', type: 'int', nullable: false },
    { name: 'ts', type: 'timestamp', nullable: false },
    { name: 'note', type: 'string', nullable: true },
  ],
};
const rows = Array.from({ length: 25 }, (_, i) => ({ id: i, ts: Date.UTC(2026, 0, 1, 0, i) }));

/**
 * An HTTP server that answers ranged GETs of one object, like a bucket behind a presigned URL: a path
 * with a token it no longer accepts answers 403 `AccessDenied`, as an expired URL does.
 */
let server: Server;
let base: string;
let bytes: Uint8Array;
const accepted = new Set<string>();
const ranges: string[] = [];

beforeAll(async () => {
  const chunks: Uint8Array[] = [];
  await writeParquet(
    fileSchema,
    (async function* () {
      yield batchFromRows(fileSchema, rows.slice(0, 10));
      yield batchFromRows(fileSchema, rows.slice(10));
    })(),
    async (chunk) => {
      chunks.push(chunk);
    },
    { rowGroupSize: 10 },
  );
  bytes = Buffer.concat(chunks);
  server = createServer((request, response) => {
    const token = new URL(request.url ?? '/', 'http://x').searchParams.get('token') ?? '';
    if (!accepted.has(token)) {
      response.writeHead(403).end('<Error><Code>AccessDenied</Code></Error>');
      return;
    }
    const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '');
    if (!range) {
      response.writeHead(200).end(bytes);
      return;
    }
    ranges.push(request.headers.range ?? '');
    const [start, end] = [Number(range[1]), Number(range[2]) + 1];
    response.writeHead(206, { 'content-range': `bytes ${start}-${end - 1}/${bytes.length}` });
    response.end(bytes.subarray(start, end));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/part-0.parquet`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function readAll(file: TableFile, schema: TableSchema) {
  const out = [];
  for await (const batch of readFileBatches(file, schema)) out.push(...batchRows(batch));
  return out;
}

describe('reading a data file over HTTP', () => {
  it('reads the file by ranges into the table schema, nulls for a column the file lacks', async () => {
    // Prepare
    accepted.add('a');
    ranges.length = 0;
    const file: TableFile = {
      path: 'part-0.parquet',
      size: bytes.length,
      rows: 25,
      url: `${base}?token=a`,
      refresh: async () => `${base}?token=a`,
    };

    // Act
    const read = await readAll(file, tableSchema);

    // Assess
    expect(read).toEqual(rows.map((r) => ({ id: r.id, ts: new Date(r.ts).toISOString(), note: null })));
    expect(ranges.length).toBeGreaterThan(0);
  });

  it('asks for a fresh URL once when the one it has expired, then goes on', async () => {
    // Prepare
    accepted.add('fresh');
    let refreshed = 0;
    const file: TableFile = {
      path: 'part-0.parquet',
      size: bytes.length,
      rows: 25,
      url: `${base}?token=expired`,
      refresh: async () => {
        refreshed++;
        return `${base}?token=fresh`;
      },
    };

    // Act
    const read = await readAll(file, fileSchema);

    // Assess
    expect(read).toHaveLength(25);
    expect(refreshed).toBe(1);
    expect(file.url).toBe(`${base}?token=fresh`);
  });

  it('fails with an ApiError naming the store’s code when a fresh URL is refused too', async () => {
    // Prepare
    const file: TableFile = {
      path: 'part-0.parquet',
      size: bytes.length,
      rows: 25,
      url: `${base}?token=expired`,
      refresh: async () => `${base}?token=revoked`,
    };

    // Act
    const attempt = readAll(file, fileSchema);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ApiError);
    await expect(attempt).rejects.toMatchObject({ status: 403, errorName: 'AccessDenied' });
  });

  it('takes the asked slice when a server ignores the range and sends the whole object', async () => {
    // Prepare
    accepted.add('b');
    // A fetch that drops the Range header: the server answers 200 with the whole object.
    const whole = httpRangeSource(`${base}?token=b`, {
      size: bytes.length,
      fetch: (url) => fetch(url),
    });

    // Act
    const slice = await whole.read(4, 12);

    // Assess
    expect([...slice]).toEqual([...bytes.subarray(4, 12)]);
  });
});

describe('the table schema', () => {
  it('is the table profile’s columns in order, nullable where nulls or missing rows are', () => {
    // Act
    const schema = schemaOfProfile({
      rowCount: 10,
      columns: [
        { name: 'id', type: 'int', nulls: 0, count: 10 },
        { name: 'note', type: 'string', nulls: 0, count: 4 },
        { name: 'score', type: 'float', nulls: 2, count: 10 },
      ],
    });

    // Assess
    expect(schema?.columns).toEqual([
      { name: 'id', type: 'int', nullable: false },
      { name: 'note', type: 'string', nullable: true },
      { name: 'score', type: 'float', nullable: true },
    ]);
    expect(schemaOfProfile(undefined)).toBeUndefined();
  });

  it('is the union of file schemas without one, int and float widened to float', () => {
    // Act
    const union = unionSchemas([
      { columns: [{ name: 'a', type: 'int', nullable: false }] },
      {
        columns: [
          { name: 'a', type: 'float', nullable: false },
          { name: 'b', type: 'string', nullable: false },
        ],
      },
    ]);

    // Assess
    expect(union.columns).toEqual([
      { name: 'a', type: 'float', nullable: false },
      { name: 'b', type: 'string', nullable: true },
    ]);
  });

  it('puts a batch in the table’s column order, values of another type as text in a text column', () => {
    // Act
    const batch = conformBatch(
      {
        schema: {
          columns: [
            { name: 'b', type: 'int', nullable: false },
            { name: 'a', type: 'int', nullable: false },
          ],
        },
        numRows: 2,
        columns: [
          [1, 2],
          [3, 4],
        ],
      },
      {
        columns: [
          { name: 'a', type: 'float', nullable: false },
          { name: 'b', type: 'string', nullable: false },
          { name: 'c', type: 'bool', nullable: true },
        ],
      },
    );

    // Assess
    expect(batch.columns).toEqual([
      [3, 4],
      ['1', '2'],
      [null, null],
    ]);
  });
});
