/**
 * A big file through the chunked path, end to end on the local cloud (S3 event → split → Distributed Map
 * of chunk functions → merge → validate → quality → drift → version), against the same bytes through the
 * single path: the dataset of the chunked copy sets a chunk size small enough to force ≥ 8 chunks. Both
 * tables hold the same rows (read by delta-rs), the chunked commit adds one file per chunk in one Delta
 * commit, the merged profile has the single profile's exact fields and its estimates within their sketch
 * bounds, and validation and quality report the same results.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DatasetProfile } from '../../shared/domain/profile/index.js';
import { rankErrorBound } from '../../shared/domain/profile/quantiles.js';
import type { CellValue, RecordBatch, TableSchema } from '../../shared/domain/table.js';
import { writeParquet } from '../../shared/formats/parquet.js';
import {
  api,
  cloudContext,
  configureDataset,
  executionArnFor,
  newTenant,
  waitForExecution,
} from '../support/cloud.js';
import { DeltaRs, sortRows } from '../support/delta.js';

const ctx = cloudContext();
const bucket = ctx.info.dataBucket;
let tenant: string;
let apiKey: string;
let deltaRs: DeltaRs;

const ROWS = 24_000;
const ROW_GROUP = 2_000;
const SCHEMA: TableSchema = {
  columns: [
    { name: 'id', type: 'int', nullable: false },
    { name: 'amount', type: 'float', nullable: true },
    { name: 'category', type: 'string', nullable: true },
    { name: 'active', type: 'bool', nullable: false },
    { name: 'seen_at', type: 'timestamp', nullable: true },
    { name: 'score', type: 'int', nullable: true },
    { name: 'note', type: 'string', nullable: true },
  ],
};

/** A deterministic pseudo-random stream (the file must be the same in every run). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function columns(): CellValue[][] {
  const next = random(7);
  const cols: CellValue[][] = SCHEMA.columns.map(() => []);
  for (let r = 0; r < ROWS; r++) {
    const values: CellValue[] = [
      r + 1,
      next() < 0.05 ? null : Math.round(next() * 1e6) / 100 - 2_000,
      next() < 0.02 ? null : `cat-${Math.floor(next() * next() * 300)}`,
      next() < 0.4,
      next() < 0.03 ? null : 1_700_000_000_000 + Math.floor(next() * 1e10),
      next() < 0.1 ? null : Math.floor(next() * 1_000),
      // Quoted text with delimiters and line breaks: raw chunk cuts fall inside quoted fields.
      next() < 0.3 ? null : next() < 0.5 ? `note ${r}, line one\nline "two", ${r % 7}` : `n${r % 50}`,
    ];
    for (const [i, v] of values.entries()) cols[i]?.push(v);
  }
  return cols;
}

/** The same rows without the time column: the quality stage then folds the chunks' states. */
const TIME = SCHEMA.columns.findIndex((c) => c.type === 'timestamp');
const UNTIMED: TableSchema = { columns: SCHEMA.columns.filter((_, i) => i !== TIME) };

async function parquetFile(cols: CellValue[][], schema = SCHEMA): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  async function* batches(): AsyncIterable<RecordBatch> {
    yield { schema, numRows: ROWS, columns: cols };
  }
  await writeParquet(
    schema,
    batches(),
    async (chunk) => {
      parts.push(chunk);
    },
    { rowGroupSize: ROW_GROUP },
  );
  return Buffer.concat(parts);
}

/** The same rows as CSV text: ISO instants, empty fields for nulls, quoting where a value needs it. */
function csvText(cols: CellValue[][]): string {
  const lines = [SCHEMA.columns.map((c) => c.name).join(',')];
  for (let r = 0; r < ROWS; r++) {
    const fields = SCHEMA.columns.map((c, i) => {
      const v = cols[i]?.[r] ?? null;
      if (v === null) return '';
      if (c.type === 'timestamp') return new Date(v as number).toISOString();
      const text = String(v);
      return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
    });
    lines.push(fields.join(','));
  }
  return `${lines.join('\n')}\n`;
}

const csvFile = (cols: CellValue[][]) => new TextEncoder().encode(csvText(cols));

/**
 * The same rows as a Windows-1252 CSV (as spreadsheet exports on Windows write), with text only that
 * encoding has: every note is in French and costs a euro (0x80), a byte that is no character in UTF-8.
 */
function windows1252File(cols: CellValue[][]): Uint8Array {
  const text = csvText(cols).replaceAll('note ', 'été € ');
  const high = new TextDecoder('windows-1252').decode(
    Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i),
    { stream: true },
  );
  return Uint8Array.from([...text], (c) => {
    const code = c.charCodeAt(0);
    return code < 0x80 || (code >= 0xa0 && code <= 0xff) ? code : 0x80 + high.indexOf(c);
  });
}

/** The same rows as JSON objects: ISO instants, a null score left out of its record, other nulls as null. */
function jsonRecords(cols: CellValue[][]): string[] {
  const records: string[] = [];
  for (let r = 0; r < ROWS; r++) {
    const record: Record<string, unknown> = {};
    for (const [i, c] of SCHEMA.columns.entries()) {
      const v = cols[i]?.[r] ?? null;
      if (v === null && c.name === 'score') continue;
      record[c.name] = v !== null && c.type === 'timestamp' ? new Date(v as number).toISOString() : v;
    }
    records.push(JSON.stringify(record));
  }
  return records;
}

const jsonlFile = (cols: CellValue[][]) => new TextEncoder().encode(`${jsonRecords(cols).join('\n')}\n`);
/** A JSON array laid out over lines, as a pretty-printer would (element boundaries are not line ends). */
const jsonArrayFile = (cols: CellValue[][]) =>
  new TextEncoder().encode(`[\n  ${jsonRecords(cols).join(',\n  ')}\n]\n`);

const configure = (dataset: string, config: Record<string, unknown>) =>
  configureDataset(ctx.info, apiKey, dataset, config);

async function setSuite(dataset: string, suite: Record<string, unknown>) {
  const response = await api(ctx.info, `/datasets/${dataset}/validation-suite`, {
    apiKey,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(suite),
  });
  expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
}

/**
 * Ids repeated: row 150 repeats row 99's id inside the first chunk, row 2001 row 1999's across the first
 * two chunks, row 20500 row 2's from the first chunk to the eleventh (2,000-row row groups, one a chunk).
 */
const REPEATS: [row: number, id: number][] = [
  [150, 100],
  [2_001, 2_000],
  [20_500, 3],
];

/** Uniqueness across chunks: a one-column key with a few repeats, a two-column key with many. */
const DUP_SUITE = {
  checks: [
    { type: 'uniqueness', columns: ['id'], severity: 'WARNING' },
    { type: 'uniqueness', columns: ['category', 'active'], severity: 'INFO' },
    { type: 'completeness', column: 'amount', maxNullFraction: 0.01, severity: 'WARNING' },
    { type: 'range', column: 'score', min: 0, max: 900, severity: 'INFO' },
  ],
};

async function ingest(dataset: string, body: Uint8Array, name: string) {
  const key = `fresh/${tenant}/${dataset}/${name}`;
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const executionArn = executionArnFor(ctx.info, { bucket, key, versionId: put.VersionId });
  const execution = await waitForExecution(ctx.sfn, executionArn, 180_000);
  expect(execution.status, execution.cause).toBe('SUCCEEDED');
  const history = await ctx.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  const entered = (history.events ?? []).flatMap((e) => e.stateEnteredEventDetails?.name ?? []);
  const version = await api(ctx.info, `/datasets/${dataset}/versions/1`, { apiKey });
  expect(version.status).toBe(200);
  return { entered, version: version.body as Record<string, unknown> };
}

async function json<T>(key: string): Promise<T> {
  const object = await ctx.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await (object.Body?.transformToString() ?? Promise.resolve('null'))) as T;
}

/** A report without what names its file or the moment it was made. */
function comparable(report: Record<string, unknown>): Record<string, unknown> {
  const { fileId: _f, source: _s, createdAt: _c, generatedAt: _g, durationMs: _d, ...rest } = report;
  return rest;
}

/** A quality report without what comes from the profile's estimates (see the quality comparisons). */
function withoutFences(report: Record<string, unknown>): Record<string, unknown> {
  return {
    ...comparable(report),
    columns: (report.columns as Record<string, unknown>[]).map(
      ({ outliers: _o, distinct: _d, ...column }) => column,
    ),
  };
}

/** Deep equality, numbers within 1e-9 relative (rounding of statistics computed in another order). */
function expectClose(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const scale = Math.max(Math.abs(expected), Math.abs(actual), 1e-300);
    expect(Math.abs(actual - expected) / scale, `${path}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
      1e-9,
    );
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual) && actual.length, path).toBe(expected.length);
    expected.forEach((item, i) => {
      expectClose((actual as unknown[])[i], item, `${path}[${i}]`);
    });
    return;
  }
  if (typeof expected === 'object' && expected !== null) {
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const [key, value] of Object.entries(expected)) {
      expectClose((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
    }
    return;
  }
  // Text that prints a statistic (an issue's message) may differ in its last printed digit.
  if (typeof expected === 'string' && typeof actual === 'string' && /\d/.test(expected)) {
    const digits = /-?\d+(\.\d+)?(e[-+]?\d+)?/g;
    expect(actual.replace(digits, '#'), path).toBe(expected.replace(digits, '#'));
    const a = actual.match(digits) ?? [];
    (expected.match(digits) ?? []).forEach((n, i) => {
      expectClose(Number(a[i]), Number(n), `${path}#${i}`);
    });
    return;
  }
  expect(actual, path).toEqual(expected);
}

const tableUri = (dataset: string) => `s3://${bucket}/tables/${tenant}/${dataset}/`;

type Ingested = Awaited<ReturnType<typeof ingest>>;
const runs: Record<
  'parquet' | 'csv' | 'csv1252' | 'jsonl' | 'json' | 'dup' | 'untimed',
  { whole: Ingested; chunked: Ingested }
> = {} as never;
let data: CellValue[][];

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'chunks'));
  deltaRs = await DeltaRs.start(ctx.info);
  data = columns();
  const parquet = await parquetFile(data);
  const csv = csvFile(data);
  // 64 KiB chunks: the Parquet file's 12 row groups each hold more (one chunk per row group); the CSV
  // file (~1.5 MB) is cut into ~20 byte ranges, many of them inside a quoted field.
  const ids = [...(data[0] ?? [])];
  for (const [row, id] of REPEATS) ids[row] = id;
  const repeated = await parquetFile([ids, ...data.slice(1)]);
  const untimed = await parquetFile(
    data.filter((_, i) => i !== TIME),
    UNTIMED,
  );
  await Promise.all([
    configure('chunked-untimed', { chunkBytes: 64 * 1024 }),
    configure('chunked', { chunkBytes: 64 * 1024 }),
    configure('chunked-csv', { chunkBytes: 64 * 1024 }),
    configure('chunked-dup', { chunkBytes: 64 * 1024 }).then(() => setSuite('chunked-dup', DUP_SUITE)),
    configure('whole-dup', {}).then(() => setSuite('whole-dup', DUP_SUITE)),
  ]);
  const [pw, pc, cw, cc, dw, dc, uw, uc] = await Promise.all([
    ingest('whole', parquet, 'events.parquet'),
    ingest('chunked', parquet, 'events.parquet'),
    ingest('whole-csv', csv, 'events.csv'),
    ingest('chunked-csv', csv, 'events.csv'),
    ingest('whole-dup', repeated, 'events.parquet'),
    ingest('chunked-dup', repeated, 'events.parquet'),
    ingest('whole-untimed', untimed, 'events.parquet'),
    ingest('chunked-untimed', untimed, 'events.parquet'),
  ]);
  runs.untimed = { whole: uw, chunked: uc };
  runs.parquet = { whole: pw, chunked: pc };
  runs.csv = { whole: cw, chunked: cc };
  runs.dup = { whole: dw, chunked: dc };
  // JSON Lines (~3.4 MB) in ~52 byte ranges of 64 KiB; the JSON array re-cut into as many pieces.
  const jsonl = jsonlFile(data);
  const array = jsonArrayFile(data);
  await Promise.all([
    configure('chunked-jsonl', { chunkBytes: 64 * 1024 }),
    configure('chunked-json', { chunkBytes: 64 * 1024 }),
  ]);
  const [lw, lc, jw, jc] = await Promise.all([
    ingest('whole-jsonl', jsonl, 'events.jsonl'),
    ingest('chunked-jsonl', jsonl, 'events.jsonl'),
    ingest('whole-json', array, 'events.json'),
    ingest('chunked-json', array, 'events.json'),
  ]);
  runs.jsonl = { whole: lw, chunked: lc };
  runs.json = { whole: jw, chunked: jc };
  // Windows-1252 is read in its own bytes, so its byte ranges are cut like UTF-8's.
  const latin = windows1252File(data);
  await Promise.all([
    configure('whole-csv1252', { encoding: 'windows-1252' }),
    configure('chunked-csv1252', { chunkBytes: 64 * 1024, encoding: 'windows-1252' }),
  ]);
  const [ww, wc] = await Promise.all([
    ingest('whole-csv1252', latin, 'events.csv'),
    ingest('chunked-csv1252', latin, 'events.csv'),
  ]);
  runs.csv1252 = { whole: ww, chunked: wc };
}, 900_000);

describe.each([
  { format: 'parquet' as const, map: ['Chunks'], datasets: ['whole', 'chunked'] },
  {
    format: 'csv' as const,
    map: ['Scan chunks', 'Stage: settle', 'Chunks'],
    datasets: ['whole-csv', 'chunked-csv'],
  },
  {
    format: 'csv1252' as const,
    map: ['Scan chunks', 'Stage: settle', 'Chunks'],
    datasets: ['whole-csv1252', 'chunked-csv1252'],
  },
  {
    format: 'jsonl' as const,
    map: ['Scan chunks', 'Stage: settle', 'Chunks'],
    datasets: ['whole-jsonl', 'chunked-jsonl'],
  },
  {
    format: 'json' as const,
    map: ['Scan chunks', 'Stage: settle', 'Chunks'],
    datasets: ['whole-json', 'chunked-json'],
  },
])('a big $format file in chunks', ({ format, map, datasets }) => {
  const [wholeName, chunkedName] = datasets as [string, string];

  it('runs the chunked path for the dataset with small chunks, the single path for the other', () => {
    // Assess
    const { whole, chunked } = runs[format];
    expect(chunked.entered).toEqual(
      expect.arrayContaining([...map, 'Stage: merge', 'Stage: validate chunks']),
    );
    expect(chunked.entered).not.toContain('Stage: parse');
    // Rows with a time column, fewer than one pass buffers: quality is one pass, the Assess Map skipped.
    expect(chunked.entered).toContain('Assess in chunks?');
    expect(chunked.entered).not.toContain('Assess chunks');
    expect(whole.entered).toContain('Stage: parse');
    expect(whole.entered).not.toContain('Chunks');
  });

  it('commits every chunk file in one Delta commit, and delta-rs reads the same rows as the single path', async () => {
    // Act
    const [single, parts] = await Promise.all([
      deltaRs.read(tableUri(wholeName)),
      deltaRs.read(tableUri(chunkedName)),
    ]);
    const { chunked } = runs[format];

    // Assess
    expect(parts.version).toBe(0);
    expect(parts.files.length).toBeGreaterThanOrEqual(8);
    expect(single.files).toHaveLength(1);
    expect(parts.rows).toHaveLength(ROWS);
    expect(sortRows(parts.rows)).toEqual(sortRows(single.rows));
    const table = chunked.version.table as { filesAdded: number; rowsAdded: number };
    expect(table.filesAdded).toBe(parts.files.length);
    expect(table.rowsAdded).toBe(ROWS);
    expect(chunked.version.rowCount).toBe(ROWS);
  });

  it('merges the chunks’ profiles into the single profile’s exact fields, its estimates within their bounds', async () => {
    // Prepare
    const { whole, chunked } = runs[format];
    const [single, merged] = await Promise.all([
      json<DatasetProfile>(whole.version.profileKey as string),
      json<DatasetProfile>(chunked.version.profileKey as string),
    ]);

    // Assess
    expect(merged.rowCount).toBe(single.rowCount);
    for (const [i, column] of single.columns.entries()) {
      const other = merged.columns[i] as Record<string, unknown> & typeof column;
      expect(other.name).toBe(column.name);
      for (const field of [
        'count',
        'nulls',
        'nullFraction',
        'nonFinite',
        'min',
        'max',
        'trueCount',
      ] as const) {
        expect(other[field as keyof typeof other], `${column.name}.${field}`).toEqual(
          column[field as keyof typeof column],
        );
      }
      for (const field of ['mean', 'std'] as const) {
        const a = (column as unknown as Record<string, unknown>)[field] as number | null | undefined;
        const b = other[field] as number | null | undefined;
        if (typeof a !== 'number') {
          expect(b, `${column.name}.${field}`).toEqual(a);
          continue;
        }
        expect(
          Math.abs((b as number) - a) / Math.max(Math.abs(a), 1e-300),
          `${column.name}.${field}`,
        ).toBeLessThan(1e-12);
      }
      if (column.distinct.exact && other.distinct.exact) {
        expect(other.distinct.value).toBe(column.distinct.value);
      } else {
        // HyperLogLog at precision ≥ 10: three standard errors of 1.04/√1024.
        const truth = column.distinct.exact ? column.distinct.value : other.distinct.value;
        expect(Math.abs(other.distinct.value - column.distinct.value) / truth).toBeLessThan(0.1);
      }
      const quantiles = (other as { quantiles?: Record<string, number> | null }).quantiles;
      if (quantiles) {
        // Each merged quantile's rank in the real data is within the KLL bound of its target rank.
        const values = (data[i] ?? [])
          .filter((v): v is number => typeof v === 'number')
          .sort((x, y) => x - y);
        const bound = rankErrorBound(64);
        for (const [name, value] of Object.entries(quantiles)) {
          const q = Number(name.slice(1)) / 100;
          let below = 0;
          while (below < values.length && (values[below] as number) <= value) below++;
          expect(Math.abs(below / values.length - q), `${column.name}.${name}`).toBeLessThanOrEqual(
            bound + 1 / values.length,
          );
        }
      }
    }
  });

  it('reports the same validation and quality results as the single path', async () => {
    // Prepare
    const { whole, chunked } = runs[format];
    const quality = (v: Record<string, unknown>) => (v.quality as { reportKey: string }).reportKey;
    const [singleValidation, chunkedValidation, singleQuality, chunkedQuality] = await Promise.all([
      json<Record<string, unknown>>(whole.version.validationReportKey as string),
      json<Record<string, unknown>>(chunked.version.validationReportKey as string),
      json<Record<string, unknown>>(quality(whole.version)),
      json<Record<string, unknown>>(quality(chunked.version)),
    ]);

    // Assess
    expect(comparable(chunkedValidation)).toEqual(comparable(singleValidation));
    // Quality's statistics come from the profile, whose merged moments differ from a single pass's in the
    // last digits only. Its IQR outlier fences come from the profile's quartiles, which past 10,000 values
    // are KLL estimates on both paths, and a merged sketch's are not the single pass's: the fences agree
    // within the KLL bound, not exactly; so do distinct counts past 10,000 values (HyperLogLog): both are
    // left out here, their bounds are the profile test's.
    expectClose(withoutFences(chunkedQuality), withoutFences(singleQuality), 'quality');
  });
});

describe('a big Windows-1252 file in chunks', () => {
  it('reads its text as Windows-1252: a euro is €, not a C1 control or a replacement', async () => {
    // Act
    const { rows } = await deltaRs.read(tableUri('chunked-csv1252'));

    // Assess
    const notes = rows.map((r) => r.note).filter((n): n is string => typeof n === 'string');
    const french = notes.filter((n) => n.startsWith('été € '));
    expect(french.length).toBeGreaterThan(1_000);
    expect(notes.some((n) => /[\u0080-\u009f\ufffd]/.test(n))).toBe(false);
  });
});

describe('a big file with repeated keys across chunks, validated inside the chunks', () => {
  it('reports the same uniqueness failures, counts and samples as the single path', async () => {
    // Prepare
    const { whole, chunked } = runs.dup;
    const [single, merged] = await Promise.all([
      json<Record<string, unknown>>(whole.version.validationReportKey as string),
      json<Record<string, unknown>>(chunked.version.validationReportKey as string),
    ]);
    const checks = (report: Record<string, unknown>) =>
      report.checks as { name: string; passed: boolean; failedRows: number; samples: unknown[] }[];

    // Assess
    expect(chunked.entered).toEqual(expect.arrayContaining(['Chunks', 'Stage: validate chunks']));
    expect(chunked.entered).not.toContain('Assess chunks');
    expect(comparable(merged)).toEqual(comparable(single));
    const [ids, pairs] = checks(merged);
    expect(ids).toMatchObject({ name: 'uniqueness(id)', passed: false, failedRows: REPEATS.length });
    expect(ids?.samples).toEqual(REPEATS.map(([, id]) => id));
    expect(pairs?.passed).toBe(false);
    expect(merged.status).toBe('WARNING');
  });

  it('leaves each chunk’s validation state beside its staged file, under the suite the split pinned', async () => {
    // Prepare
    const fileId = runs.dup.chunked.version.sourceFileId as string;
    const prefix = `staging/${tenant}/chunked-dup/${fileId}/`;

    // Act
    const listed = await ctx.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    const keys = (listed.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length));
    const pin = await json<{ suite: unknown; now: string }>(`${prefix}validation-suite.json`);

    // Assess
    const chunks = keys.filter((k) => /^part-\d{5}\.parquet$/.test(k)).length;
    expect(chunks).toBeGreaterThanOrEqual(8);
    expect(keys.filter((k) => k.endsWith('.validation.bin'))).toHaveLength(chunks);
    // A file this small with a time column is assessed in one pass (noise estimates): no quality states.
    expect(keys.filter((k) => k.endsWith('.quality.bin'))).toEqual([]);
    expect(pin.suite).toMatchObject({
      checks: expect.arrayContaining([expect.objectContaining({ type: 'uniqueness' })]),
    });
  });
});

describe('a big file without a time column, its quality assessed in the chunks', () => {
  it('folds the chunks’ quality states into the report one pass over the file gives', async () => {
    // Prepare
    const { whole, chunked } = runs.untimed;
    const fileId = chunked.version.sourceFileId as string;
    const prefix = `staging/${tenant}/chunked-untimed/${fileId}/`;
    const quality = (v: Record<string, unknown>) => (v.quality as { reportKey: string }).reportKey;

    // Act
    const listed = await ctx.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    const keys = (listed.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length));
    const [single, merged] = await Promise.all([
      json<Record<string, unknown>>(quality(whole.version)),
      json<Record<string, unknown>>(quality(chunked.version)),
    ]);

    // Assess
    expect(chunked.entered).toEqual(expect.arrayContaining(['Chunks', 'Assess chunks', 'Stage: quality']));
    const chunks = keys.filter((k) => /^part-\d{5}\.parquet$/.test(k)).length;
    expect(chunks).toBeGreaterThanOrEqual(8);
    expect(keys.filter((k) => k.endsWith('.quality.bin'))).toHaveLength(chunks);
    expect(merged.notes ?? []).toEqual(single.notes ?? []);
    expectClose(withoutFences(merged), withoutFences(single), 'quality');
    expect(merged.duplicates).toEqual(single.duplicates);
  });
});
