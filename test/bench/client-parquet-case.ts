/**
 * `--case client-parquet`: the SDK's Parquet encoding of an Arrow table, the bench's rows × 8 columns
 * (data.ts), with each candidate writer in its own child process: parquet-wasm (snappy, and ZSTD) and
 * strata's own writeParquet (which first needs the Arrow table as strata record batches). The baseline of
 * the ratios is our writer, measured in the same run. Every file is read back with the pipeline's Parquet
 * reader (hyparquet), which must see every row and the schema the table had, else the case fails.
 */
import { arrowTableFrom, recordBatchesOf } from '../../shared/client/arrow.js';
import { type ClientParquetCompression, encodeParquet } from '../../shared/client/parquet.js';
import type { RecordBatch } from '../../shared/domain/table.js';
import { openParquet, writeParquet } from '../../shared/formats/parquet.js';
import { fmtMb, fmtMs, fmtRatio, MB, median, runChild, table } from './common.js';
import { batches, SCHEMA } from './data.js';

export const CLIENT_WRITERS = ['ours', 'wasm-snappy', 'wasm-zstd'] as const;
export type ClientWriter = (typeof CLIENT_WRITERS)[number];

export interface ClientParquetArgs {
  writer: ClientWriter;
  rows: number;
  seed: number;
}

export interface ClientParquetRun {
  writer: ClientWriter;
  /** Building the Arrow table from generated batches (what `toArrowTable` of a column map costs). */
  arrowMs: number;
  /** Arrow table → Parquet bytes (for ours: → record batches → writeParquet). */
  encodeMs: number;
  bytes: number;
  maxRss: number;
  /** Empty when the pipeline's reader read the file back as written. */
  problems: string[];
}

/** Child side: one writer, one run. */
export async function runClientParquet(args: ClientParquetArgs): Promise<ClientParquetRun> {
  const generated = [...batches(args.rows, args.seed)];
  let t = performance.now();
  const arrow = arrowTableFrom(SCHEMA, generated);
  const arrowMs = performance.now() - t;
  generated.length = 0;

  t = performance.now();
  let file: Uint8Array;
  if (args.writer === 'ours') {
    const chunks: Uint8Array[] = [];
    async function* source(): AsyncIterable<RecordBatch> {
      yield* recordBatchesOf(arrow);
    }
    await writeParquet(SCHEMA, source(), async (chunk) => {
      chunks.push(chunk);
    });
    file = new Uint8Array(Buffer.concat(chunks));
  } else {
    const compression: ClientParquetCompression = args.writer === 'wasm-zstd' ? 'zstd' : 'snappy';
    file = encodeParquet(arrow, { compression });
  }
  const encodeMs = performance.now() - t;
  const maxRss = process.resourceUsage().maxRSS * 1024;

  const problems: string[] = [];
  const bytes = file;
  const read = await openParquet({ size: bytes.length, read: async (s, e) => bytes.subarray(s, e) });
  if (JSON.stringify(read.schema) !== JSON.stringify(SCHEMA)) {
    problems.push(`schema read back as ${JSON.stringify(read.schema)}`);
  }
  // Every row, and the id column's sum (ids are 1…rows), through the pipeline's reader.
  let rows = 0;
  let idSum = 0;
  for await (const batch of read.readRowGroups({ columns: ['id'] })) {
    rows += batch.numRows;
    for (const v of batch.columns[0] ?? []) idSum += v as number;
  }
  if (rows !== args.rows) problems.push(`read ${rows} rows of ${args.rows}`);
  if (idSum !== (args.rows * (args.rows + 1)) / 2) problems.push(`id sum ${idSum}`);
  return { writer: args.writer, arrowMs, encodeMs, bytes: bytes.length, maxRss, problems };
}

export interface ClientParquetCaseResult {
  rows: number;
  writers: Array<{
    writer: ClientWriter;
    encodeMs: number;
    arrowMs: number;
    bytes: number;
    maxRss: number;
    runsMs: number[];
    /** Against ours in the same run: time, size. */
    ratio: { time: number; size: number };
  }>;
  problems: string[];
}

/** Parent side: every writer `runs` times, alternating, medians. */
export async function benchClientParquet(
  self: string,
  options: { rows: number; seed: number; runs: number },
  log: (line: string) => void,
): Promise<ClientParquetCaseResult> {
  const runs = new Map<ClientWriter, ClientParquetRun[]>(CLIENT_WRITERS.map((w) => [w, []]));
  for (let run = 0; run < options.runs; run++) {
    for (const writer of CLIENT_WRITERS) {
      const r = await runChild<ClientParquetRun>(self, 'client-parquet', {
        writer,
        rows: options.rows,
        seed: options.seed,
      } satisfies ClientParquetArgs);
      log(
        `  client-parquet run ${run + 1}: ${writer} ${fmtMs(r.encodeMs)}, ${fmtMb(r.bytes)}, peak RSS ${fmtMb(r.maxRss)}`,
      );
      runs.get(writer)?.push(r);
    }
  }
  const summary = CLIENT_WRITERS.map((writer) => {
    const rs = runs.get(writer) ?? [];
    return {
      writer,
      encodeMs: median(rs.map((r) => r.encodeMs)),
      arrowMs: median(rs.map((r) => r.arrowMs)),
      bytes: rs[0]?.bytes ?? 0,
      maxRss: median(rs.map((r) => r.maxRss)),
      runsMs: rs.map((r) => Math.round(r.encodeMs)),
    };
  });
  const ours = summary.find((s) => s.writer === 'ours');
  return {
    rows: options.rows,
    writers: summary.map((s) => ({
      ...s,
      ratio: {
        time: s.encodeMs / (ours?.encodeMs ?? Number.NaN),
        size: s.bytes / (ours?.bytes ?? Number.NaN),
      },
    })),
    problems: [...runs.values()].flatMap((rs) =>
      rs.flatMap((r) => r.problems.map((p) => `${r.writer}: ${p}`)),
    ),
  };
}

export function printClientParquet(r: ClientParquetCaseResult): string {
  const rows = [
    ['writer (Arrow table → Parquet)', 'encode', 'size', 'peak RSS', 'time / ours', 'size / ours'],
    ...r.writers.map((w) => [
      w.writer,
      fmtMs(w.encodeMs),
      `${(w.bytes / MB).toFixed(1)} MB`,
      fmtMb(w.maxRss),
      fmtRatio(w.ratio.time),
      fmtRatio(w.ratio.size),
    ]),
  ];
  return [
    `CLIENT PARQUET: ${r.rows.toLocaleString('en-US')} rows × ${SCHEMA.columns.length} columns, Arrow table built in ` +
      `${fmtMs(r.writers[0]?.arrowMs ?? 0)}; read back by the pipeline's reader: ` +
      `${r.problems.length === 0 ? 'every row, same schema' : r.problems.join('; ')}`,
    table(rows),
  ].join('\n');
}
