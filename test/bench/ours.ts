/**
 * One phase of our pipeline, in-process and without S3, run in its own child process so that its peak RSS
 * is its own (each stage is its own Lambda invocation in production):
 * - parse: parseFile (CSV: the two-pass streaming text path over a file stream; Parquet: the row-group path
 *   over an in-memory range source) → writeParquet to a sink that hashes and counts the bytes, as the parse
 *   stage does (it also appends them to the staged file the next phases read, outside the timing's concern:
 *   a write to the page cache).
 * - validate: the staged Parquet, read back with openParquet from an in-memory range source (only the
 *   columns the suite's checks read), through the validator with the benchmark's suite, as validateStage
 *   does.
 * - parse also validates and profiles the batches on their way to the writer (validationAlong,
 *   profileAlong), as parseStage does, and keeps the report, and the profile when it is final.
 * - validate: as validateStage, the report the parse made when there is one, else the staged file read
 *   back (below).
 * - profile: as profileStage, the profile the parse made when there is one (published as it is), else the
 *   staged source through createProfiler with the range hint from the row-group statistics, then the
 *   profile serialized to JSON.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  existsSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { validationAlong } from '../../shared/app/pipeline/validate.js';
import { parseFile } from '../../shared/domain/parse/parse-file.js';
import { createProfiler, type DatasetProfile, profileAlong } from '../../shared/domain/profile/index.js';
import { tapBatches } from '../../shared/domain/table.js';
import {
  createValidator,
  type ValidationReport,
  validationSuiteSchema,
} from '../../shared/domain/validation/index.js';
import {
  type ByteRangeSource,
  numericRanges,
  openParquet,
  writeParquet,
} from '../../shared/formats/parquet.js';
import type { ObjectStore } from '../../shared/ports.js';
import { SUITE } from './data.js';

export type OurPhase = 'parse' | 'validate' | 'profile';

export interface OurPhaseArgs {
  phase: OurPhase;
  format: 'csv' | 'parquet';
  input: string;
  /** Written by parse, read by validate and profile. */
  staged: string;
  /** Where validate writes its report and profile its profile (JSON), for the comparison. */
  output?: string;
  /** Epoch ms of the validator's clock. */
  now?: number;
}

export interface PhaseResult {
  phase: string;
  /** Wall time of the phase (after the process started and loaded its code). */
  ms: number;
  rows: number;
  /** Peak RSS of the process (bytes) at the end of the phase. */
  maxRss: number;
  /** RSS of the process before the phase started (bytes): the runtime's own share. */
  startRss: number;
  extra?: Record<string, unknown>;
}

/** A range source over bytes in memory; each read returns fresh bytes, as an S3 ranged GET does. */
function memorySource(bytes: Uint8Array): ByteRangeSource {
  return { size: bytes.byteLength, read: async (start, end) => bytes.slice(start, end) };
}

function loadFile(path: string): Uint8Array {
  const buffer = readFileSync(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Where the parse phase leaves the profile it made while writing, when final (parse output's profileKey). */
function parsedProfilePath(staged: string): string {
  return `${staged}.profile.json`;
}

/** Where the parse phase leaves the validation report it made while writing (parse output's validation). */
function parsedReportPath(staged: string): string {
  return `${staged}.validation.json`;
}

export async function runOurPhase(args: OurPhaseArgs): Promise<PhaseResult> {
  // Inputs that production reads through S3 ranged GETs are in memory before the clock starts.
  const parquetInput = args.phase === 'parse' && args.format === 'parquet' ? loadFile(args.input) : undefined;
  const staged =
    (args.phase === 'validate' && !existsSync(parsedReportPath(args.staged))) ||
    (args.phase === 'profile' && !existsSync(parsedProfilePath(args.staged)))
      ? loadFile(args.staged)
      : undefined;
  const suite = validationSuiteSchema.parse(SUITE);
  const startRss = process.memoryUsage.rss();
  const started = performance.now();
  let rows = 0;
  let extra: Record<string, unknown> = {};

  if (args.phase === 'parse') {
    const parsed = await parseFile(
      parquetInput
        ? { format: 'parquet', source: memorySource(parquetInput) }
        : { format: 'csv', open: () => createReadStream(args.input) },
      // As the parse stage: the object's size is known from its event.
      { inputBytes: statSync(args.input).size },
    );
    const hash = createHash('sha256');
    const fd = openSync(args.staged, 'w');
    // As parseStage: the batches validated (the bench's suite as the dataset's, its clock) and profiled
    // on their way to the writer; the report is "stored" in a file beside the staged one.
    const reports = new Map<string, unknown>();
    const validation = validationAlong(
      {
        store: {
          putJson: async (key: string, value: unknown) => {
            reports.set(key, value);
          },
        } as unknown as ObjectStore,
        clock: { now: () => new Date(args.now ?? Date.now()) },
      },
      { tenant: 'bench', dataset: 'bench', fileId: 'bench', object: { key: args.input } },
      { validationSuite: SUITE, suiteSource: 'api' },
      parsed.schema,
    );
    const validated = tapBatches(parsed.batches, (batch) => validation?.add(batch));
    const profiled = profileAlong(parsed.schema, validated, parsed.ranges);
    const written = await writeParquet(parsed.schema, profiled.batches, async (chunk) => {
      hash.update(chunk);
      writeSync(fd, chunk);
    });
    closeSync(fd);
    const saved = await validation?.save();
    if (saved) writeFileSync(parsedReportPath(args.staged), JSON.stringify(reports.get(saved.reportKey)));
    else rmSync(parsedReportPath(args.staged), { force: true });
    const profile = profiled.final();
    if (profile) writeFileSync(parsedProfilePath(args.staged), JSON.stringify(profile));
    else rmSync(parsedProfilePath(args.staged), { force: true });
    const metrics = parsed.metrics();
    rows = metrics.recordsWritten;
    extra = {
      schema: parsed.schema,
      stagedBytes: written.bytes,
      rowGroups: written.rowGroups,
      contentHash: hash.digest('hex'),
      recordsFailed: metrics.recordsFailed,
      profiled: profile !== undefined,
      validated: saved !== undefined,
    };
  } else if (args.phase === 'validate' && existsSync(parsedReportPath(args.staged))) {
    // As validateStage when the parse made the report: read and judged (the stage records the verdict).
    const json = readFileSync(parsedReportPath(args.staged), 'utf8');
    const report = JSON.parse(json) as ValidationReport;
    rows = report.rowCount;
    extra = {
      status: report.status,
      errors: report.summary.errors,
      warnings: report.summary.warnings,
      by: 'parse',
    };
    if (args.output) writeFileSync(args.output, json);
  } else if (args.phase === 'validate') {
    const file = await openParquet(memorySource(staged as Uint8Array));
    // As validateStage: only the columns the suite's checks read are fetched and decoded.
    const validator = createValidator(suite, file.schema, {
      now: new Date(args.now ?? Date.now()),
      projected: true,
    });
    for await (const batch of file.readRowGroups({ columns: [...validator.columns], typed: true }))
      validator.add(batch);
    const report: ValidationReport = validator.report();
    const json = JSON.stringify(report);
    rows = report.rowCount;
    extra = { status: report.status, errors: report.summary.errors, warnings: report.summary.warnings };
    if (args.output) writeFileSync(args.output, json);
  } else if (existsSync(parsedProfilePath(args.staged))) {
    // As profileStage when the parse made the profile: published as it is (the stage only records it).
    const json = readFileSync(parsedProfilePath(args.staged), 'utf8');
    rows = (JSON.parse(json) as DatasetProfile).rowCount;
    extra = { profileBytes: json.length, by: 'parse' };
    if (args.output) writeFileSync(args.output, json);
  } else {
    const file = await openParquet(memorySource(staged as Uint8Array));
    const profiler = createProfiler(file.schema, { ranges: numericRanges(file.schema, file.rowGroups) });
    for await (const batch of file.readRowGroups({ typed: true })) profiler.add(batch);
    const profile: DatasetProfile = profiler.result();
    const json = JSON.stringify(profile);
    rows = profile.rowCount;
    extra = { profileBytes: json.length };
    if (args.output) writeFileSync(args.output, json);
  }

  const ms = performance.now() - started;
  return {
    phase: args.phase,
    ms,
    rows,
    maxRss: process.resourceUsage().maxRSS * 1024,
    startRss,
    extra,
  };
}
