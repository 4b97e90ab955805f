/**
 * Our drift comparison, as the drift stage runs it (shared/app/pipeline/drift.ts `driftStage`), in its
 * own child process and without S3: both Parquet files opened with openParquet over in-memory range
 * sources (in memory before the clock starts, as the other phases' inputs are), read concurrently through
 * two drift collectors, then compareDatasets and the report serialized to JSON.
 *
 * Besides the total, the child splits the time: `collect` is the synchronous collector work
 * (`add` + `result`), `read` the rest of the streaming part (Parquet decode and the awaits between row
 * groups), `compare` is compareDatasets (sorting, KS, Mann–Whitney, PSI/JS, quantiles, histograms,
 * chi-square), `serialize` the JSON.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  type CollectedSide,
  compareDatasets,
  createDriftCollector,
  DEFAULT_MAX_VALUES,
  type DriftCollectorOptions,
  type DriftReport,
} from '../../shared/domain/drift/index.js';
import { type ByteRangeSource, openParquet } from '../../shared/formats/parquet.js';

export interface OurDriftArgs {
  reference: string;
  current: string;
  /** Where the report (and the full category counts, for the comparison) are written, after timing. */
  output: string;
  /** Rows per side: past DEFAULT_MAX_VALUES the collectors keep that many values, so nothing is sampled. */
  rows: number;
}

export interface OurDriftResult {
  /** Wall time, from both files in memory to the report's JSON. */
  ms: number;
  readMs: number;
  collectMs: number;
  compareMs: number;
  serializeMs: number;
  rows: { reference: number; current: number };
  /** Peak RSS (bytes) after both sides were collected, and at the end. */
  collectMaxRss: number;
  maxRss: number;
  /** RSS before the clock started: node + code + both files in memory. */
  startRss: number;
  reportBytes: number;
  severity: string;
  maxValues: number;
}

/** What the comparison reads: the report plus every category count the collectors kept. */
export interface OurDriftOutput {
  report: DriftReport;
  counts: Record<string, { reference: [string, number][]; current: [string, number][] }>;
}

function memorySource(bytes: Uint8Array): ByteRangeSource {
  return { size: bytes.byteLength, read: async (start, end) => bytes.slice(start, end) };
}

function loadFile(path: string): Uint8Array {
  const buffer = readFileSync(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

export async function runOurDrift(args: OurDriftArgs): Promise<OurDriftResult> {
  const referenceBytes = loadFile(args.reference);
  const currentBytes = loadFile(args.current);
  const startRss = process.memoryUsage.rss();
  const started = performance.now();
  let collectMs = 0;
  // The stage's defaults (no roles configured); every value kept, so the quantiles are exact.
  const maxValues = Math.max(DEFAULT_MAX_VALUES, args.rows);
  const options: DriftCollectorOptions = maxValues > DEFAULT_MAX_VALUES ? { maxValues } : {};

  async function collect(bytes: Uint8Array): Promise<CollectedSide> {
    const file = await openParquet(memorySource(bytes));
    const collector = createDriftCollector(file.schema, options);
    for await (const batch of file.readRowGroups({ columns: collector.columns, typed: true })) {
      const t = performance.now();
      collector.add(batch);
      collectMs += performance.now() - t;
    }
    const t = performance.now();
    const side = collector.result();
    collectMs += performance.now() - t;
    return side;
  }

  const [reference, current] = await Promise.all([collect(referenceBytes), collect(currentBytes)]);
  const collected = performance.now();
  const collectMaxRss = process.resourceUsage().maxRSS * 1024;
  const report = compareDatasets(reference, current, { reference: { version: 1, pinned: false } });
  const compared = performance.now();
  const json = JSON.stringify(report);
  const ended = performance.now();
  const maxRss = process.resourceUsage().maxRSS * 1024;

  const counts: OurDriftOutput['counts'] = {};
  for (const [name, ref] of reference.columns) {
    const cur = current.columns.get(name);
    if (ref.kind === 'categorical' && cur?.kind === 'categorical') {
      counts[name] = { reference: [...ref.counts], current: [...cur.counts] };
    }
  }
  writeFileSync(args.output, `{"report":${json},"counts":${JSON.stringify(counts)}}`);
  return {
    ms: ended - started,
    readMs: collected - started - collectMs,
    collectMs,
    compareMs: compared - collected,
    serializeMs: ended - compared,
    rows: { reference: reference.rows, current: current.rows },
    collectMaxRss,
    maxRss,
    startRss,
    reportBytes: json.length,
    severity: report.severity,
    maxValues,
  };
}
