/**
 * `npm run bench`: parse + validate + profile throughput of our pipeline on a generated 1M-row file, as
 * CSV and as Parquet, next to DuckDB computing the same validation and profile on the same file in the
 * same run, printed as ratios (ours / DuckDB); and the drift stage's comparison of a reference file with a
 * shifted current file, next to DuckDB computing the same statistics (drift-case.ts); and, when asked
 * (`--case pull`: it needs PostgreSQL), a database pull connector's per-batch work against the driver and
 * COPY floors on the same table (pull-case.ts); and, when asked (`--case commit`: it starts MinIO), one
 * append commit to a strata Delta table at 1, 100 and 500 versions with and without checkpoints, and its
 * snapshot load, against delta-rs doing the same on the same table (commit-case.ts). Not a vitest test:
 * `npm test` does not run it, and nothing here asserts a time. `test/bench/run.ts` bundles this file with
 * esbuild (as the Lambda functions are) and runs the bundle with node; every measured case runs in its own
 * child process of that bundle, so one case's peak RSS does not pollute the next.
 *
 * Options: --case pipeline,drift,pull,commit,client-parquet,engine (default pipeline,drift; `chunked`: see
 * chunked-e2e.ts), --rows N (default 1,000,000; per file or
 * table), --seed N (42), --runs N (3; medians are reported), --formats csv,parquet (the pipeline case's
 * inputs), --batch-sizes 10000,100000 (the pull case's), --commit-versions 1,100,500 (the commit case's
 * table states), --cpu-prof (V8 CPU profiles of our phases in
 * .strata/bench/prof/). Exits non-zero when the drift case's results disagree with DuckDB's, or when the
 * pull case's batches do not hold every row exactly once, or when delta-rs reads other rows or versions of
 * the commit case's tables than were committed.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatasetProfile } from '../../shared/domain/profile/index.js';
import type { ValidationReport } from '../../shared/domain/validation/index.js';
import {
  benchClientParquet,
  type ClientParquetCaseResult,
  printClientParquet,
  runClientParquet,
} from './client-parquet-case.js';
import { benchCommit, type CommitCaseResult, DEFAULT_COMMIT_VERSIONS, printCommit } from './commit-case.js';
import { runOurCommit } from './commit-ours.js';
import {
  type ChildKind,
  fmtMb,
  fmtMs,
  fmtRate,
  fmtRatio,
  MB,
  median,
  RESULT_MARK,
  runChild as runChildOf,
  table,
} from './common.js';
import { type Agreement, compareResults } from './compare.js';
import { benchNow, type DataSet, ensureDataSet, SCHEMA } from './data.js';
import { benchDrift, type DriftCaseResult, printDrift } from './drift-case.js';
import { runDuckDrift } from './drift-duckdb.js';
import { runOurDrift } from './drift-ours.js';
import { type DuckArgs, type DuckResult, runDuck } from './duckdb.js';
import { benchEngine, type EngineCaseResult, printEngine } from './engine-case.js';
import { runDuckEngine, runDuckSniff } from './engine-duckdb.js';
import { type OurPhase, type OurPhaseArgs, type PhaseResult, runOurPhase } from './ours.js';
import { benchPull, DEFAULT_PULL_BATCH_SIZES, type PullCaseResult, printPull } from './pull-case.js';
import { runDriverFloor, runOurPull } from './pull-ours.js';

const SELF = fileURLToPath(import.meta.url);
const OUR_PHASES: OurPhase[] = ['parse', 'validate', 'profile'];
const CASES = ['pipeline', 'drift', 'pull', 'commit', 'client-parquet', 'engine'] as const;
/**
 * `pull` and `commit` only when asked: they start PostgreSQL and MinIO; `engine` (our parse phase vs
 * DuckDB's read → COPY at 1 and 2 threads, and the two readers' type inference on edge cases) too.
 * `chunked` (test/bench/chunked-e2e.ts) starts a local cloud: run.ts runs it through tsx, not here.
 */
const DEFAULT_CASES: Case[] = ['pipeline', 'drift'];

type Format = 'csv' | 'parquet';
type Case = (typeof CASES)[number];

// ---------------------------------------------------------------------------------------------------------
// Child side

async function childMain(kind: string, json: string): Promise<void> {
  const args = JSON.parse(json);
  const result =
    kind === 'ours'
      ? await runOurPhase(args)
      : kind === 'duckdb'
        ? await runDuck(args)
        : kind === 'drift-ours'
          ? await runOurDrift(args)
          : kind === 'drift-duckdb'
            ? await runDuckDrift(args)
            : kind === 'pull-ours'
              ? await runOurPull(args)
              : kind === 'pull-driver'
                ? await runDriverFloor(args)
                : kind === 'commit-ours'
                  ? await runOurCommit(args)
                  : kind === 'client-parquet'
                    ? await runClientParquet(args)
                    : kind === 'duck-engine'
                      ? await runDuckEngine(args)
                      : kind === 'duck-sniff'
                        ? await runDuckSniff(args)
                        : undefined;
  if (result === undefined) throw new Error(`unknown child kind ${kind}`);
  process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`);
}

// ---------------------------------------------------------------------------------------------------------
// Parent side

interface Options {
  cases: Case[];
  rows: number;
  seed: number;
  runs: number;
  formats: Format[];
  /** The pull case's batch sizes. */
  batchSizes: number[];
  /** The commit case's table versions. */
  commitVersions: number[];
  cpuProf: boolean;
  out: string;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    cases: [...DEFAULT_CASES],
    rows: 1_000_000,
    seed: 42,
    runs: 3,
    formats: ['csv', 'parquet'],
    batchSizes: [...DEFAULT_PULL_BATCH_SIZES],
    commitVersions: [...DEFAULT_COMMIT_VERSIONS],
    cpuProf: false,
    out: resolve('.strata/bench'),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--case' || arg === '--cases') options.cases = value().split(',') as Case[];
    else if (arg === '--rows') options.rows = Number(value());
    else if (arg === '--seed') options.seed = Number(value());
    else if (arg === '--runs') options.runs = Number(value());
    else if (arg === '--formats') options.formats = value().split(',') as Format[];
    else if (arg === '--batch-sizes') options.batchSizes = value().split(',').map(Number);
    else if (arg === '--commit-versions') options.commitVersions = value().split(',').map(Number);
    else if (arg === '--cpu-prof') options.cpuProf = true;
    else if (arg === '--out') options.out = resolve(value());
    else throw new Error(`unknown option ${arg}`);
  }
  for (const key of ['rows', 'seed', 'runs'] as const) {
    if (!Number.isSafeInteger(options[key]) || options[key] < (key === 'seed' ? 0 : 1)) {
      throw new Error(`--${key} must be a positive integer`);
    }
  }
  for (const f of options.formats) if (f !== 'csv' && f !== 'parquet') throw new Error(`unknown format ${f}`);
  // The connector's own limit (databaseConnectorSchema): 1…100 000 rows per batch.
  for (const b of options.batchSizes) {
    if (!Number.isSafeInteger(b) || b < 1 || b > 100_000) throw new Error('--batch-sizes: 1…100000 each');
  }
  const versions = options.commitVersions;
  if (versions.some((v, i) => !Number.isSafeInteger(v) || v < 1 || (i > 0 && v <= (versions[i - 1] ?? 0)))) {
    throw new Error('--commit-versions: ascending positive integers');
  }
  for (const c of options.cases) {
    if (!CASES.includes(c)) throw new Error(`unknown case ${c} (cases: ${CASES.join(', ')})`);
  }
  return options;
}

/** Runs one case in a child process of this same script; resolves with what it printed. */
function runChild<T>(kind: ChildKind, args: unknown, nodeFlags: string[] = []): Promise<T> {
  return runChildOf<T>(SELF, kind, args, nodeFlags);
}

interface PhaseSummary {
  phase: string;
  /** Median over runs. */
  ms: number;
  rowsPerSecond: number;
  /** Input file bytes per second. */
  mbPerSecond: number;
  /** Median over runs of the peak RSS (bytes) at the end of the phase. */
  maxRss: number;
  runsMs: number[];
  runsMaxRss: number[];
}

function summarize(phase: string, results: PhaseResult[], rows: number, bytes: number): PhaseSummary {
  const ms = median(results.map((r) => r.ms));
  return {
    phase,
    ms,
    rowsPerSecond: rows / (ms / 1000),
    mbPerSecond: bytes / MB / (ms / 1000),
    maxRss: median(results.map((r) => r.maxRss)),
    runsMs: results.map((r) => Math.round(r.ms)),
    runsMaxRss: results.map((r) => r.maxRss),
  };
}

interface FormatResult {
  format: Format;
  inputBytes: number;
  stagedBytes: number;
  ours: PhaseSummary[];
  duckdb: PhaseSummary[];
  ratio: { phase: string; time: number; rss: number }[];
  agreement: Agreement;
  duckdbTypes: Record<string, string>;
  /** SHA-256 of the Parquet our parse wrote. */
  stagedHash: string;
  /** Median RSS of a process before its first phase: ours (node + bundle), DuckDB (+ its library). */
  startRss: { ours: number; duckdb: number };
}

async function benchFormat(
  format: Format,
  data: DataSet,
  options: Options,
  log: (line: string) => void,
): Promise<{ result: FormatResult; duck: DuckResult }> {
  const input = format === 'csv' ? data.csv : data.parquet;
  const work = join(options.out, 'work');
  mkdirSync(work, { recursive: true });
  const staged = join(work, `${format}.staged.parquet`);
  const reportPath = join(work, `${format}.ours-validation.json`);
  const profilePath = join(work, `${format}.ours-profile.json`);
  const profDir = join(options.out, 'prof');
  const now = benchNow(data).getTime();
  const ours: PhaseResult[][] = [];
  const duck: DuckResult[] = [];
  for (let run = 0; run < options.runs; run++) {
    const phases: PhaseResult[] = [];
    for (const phase of OUR_PHASES) {
      const args: OurPhaseArgs = {
        phase,
        format,
        input: input.path,
        staged,
        output: phase === 'validate' ? reportPath : profilePath,
        now,
      };
      const flags = options.cpuProf
        ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${format}-${phase}-${run}.cpuprofile`]
        : [];
      const r = await runChild<PhaseResult>('ours', args, flags);
      log(`  ${format} run ${run + 1}: ours ${phase} ${fmtMs(r.ms)}, peak RSS ${fmtMb(r.maxRss)}`);
      phases.push(r);
    }
    ours.push(phases);
    const ourProfile = JSON.parse(readFileSync(profilePath, 'utf8')) as DatasetProfile;
    const duckArgs: DuckArgs = {
      format,
      input: input.path,
      now,
      exactDistinct: ourProfile.columns.filter((c) => c.distinct.exact).map((c) => c.name),
      ...(run === 0 ? { verify: profilePath } : {}),
    };
    const d = await runChild<DuckResult>('duckdb', duckArgs);
    log(
      `  ${format} run ${run + 1}: DuckDB ${d.phases.map((p) => `${p.phase} ${fmtMs(p.ms)}`).join(', ')}, peak RSS ${fmtMb(d.phases.at(-1)?.maxRss ?? 0)}`,
    );
    duck.push(d);
  }

  const rows = data.rows;
  const bytes = input.bytes;
  const ourPhases = OUR_PHASES.map((phase, i) =>
    summarize(
      phase,
      ours.map((run) => run[i] as PhaseResult),
      rows,
      bytes,
    ),
  );
  // Ours total: the phases run one after another (each its own Lambda); peak RSS = the largest phase's.
  const ourTotal = summarize(
    'total',
    ours.map((run) => ({
      phase: 'total',
      ms: run.reduce((sum, r) => sum + r.ms, 0),
      rows,
      maxRss: Math.max(...run.map((r) => r.maxRss)),
      startRss: 0,
    })),
    rows,
    bytes,
  );
  const duckPhaseNames = ['load', 'validate', 'profile'];
  const duckPhases = duckPhaseNames.map((phase, i) =>
    summarize(
      phase,
      duck.map((d) => d.phases[i] as PhaseResult),
      rows,
      bytes,
    ),
  );
  const duckTotal = summarize(
    'total',
    duck.map((d) => ({
      phase: 'total',
      ms: d.phases.reduce((sum, r) => sum + r.ms, 0),
      rows,
      maxRss: d.phases.at(-1)?.maxRss ?? 0,
      startRss: 0,
    })),
    rows,
    bytes,
  );
  const oursAll = [...ourPhases, ourTotal];
  const duckAll = [...duckPhases, duckTotal];
  const ratio = oursAll.map((o, i) => ({
    phase: o.phase,
    time: o.ms / (duckAll[i]?.ms ?? Number.NaN),
    rss: o.maxRss / (duckAll[i]?.maxRss ?? Number.NaN),
  }));
  const first = duck[0] as DuckResult;
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as ValidationReport;
  const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as DatasetProfile;
  const agreement = compareResults(profile, report, first);
  const parseExtra = ours[0]?.[0]?.extra as { stagedBytes?: number; contentHash?: string } | undefined;
  return {
    result: {
      format,
      inputBytes: bytes,
      stagedBytes: parseExtra?.stagedBytes ?? 0,
      stagedHash: parseExtra?.contentHash ?? '',
      startRss: {
        ours: median(ours.flatMap((run) => run.map((r) => r.startRss))),
        duckdb: median(duck.map((d) => d.phases[0]?.startRss ?? 0)),
      },
      ours: oursAll,
      duckdb: duckAll,
      ratio,
      agreement,
      duckdbTypes: first.types,
    },
    duck: first,
  };
}

function printFormat(r: FormatResult, data: DataSet, duck: DuckResult): string {
  const head = [
    `${r.format.toUpperCase()}: ${data.rows.toLocaleString('en-US')} rows × ${SCHEMA.columns.length} columns, ` +
      `${(r.inputBytes / MB).toFixed(1)} MB input (our staged Parquet: ${(r.stagedBytes / MB).toFixed(1)} MB)`,
  ];
  const rows: string[][] = [
    [
      'phase (ours / DuckDB)',
      'ours',
      'rows/s',
      'MB/s',
      'peak RSS',
      `DuckDB`,
      'rows/s',
      'MB/s',
      'peak RSS',
      'time ×',
      'RSS ×',
    ],
  ];
  r.ours.forEach((o, i) => {
    const d = r.duckdb[i] as PhaseSummary;
    const x = r.ratio[i] as { time: number; rss: number };
    const label = o.phase === 'parse' ? 'parse+write / load' : o.phase;
    rows.push([
      label,
      fmtMs(o.ms),
      fmtRate(o.rowsPerSecond),
      o.mbPerSecond.toFixed(1),
      fmtMb(o.maxRss),
      fmtMs(d.ms),
      fmtRate(d.rowsPerSecond),
      d.mbPerSecond.toFixed(1),
      fmtMb(d.maxRss),
      fmtRatio(x.time),
      fmtRatio(x.rss),
    ]);
  });
  const agreement =
    r.agreement.warnings.length === 0
      ? `profiles agree: ${r.agreement.checked} comparisons within tolerance`
      : `WARNING: ${r.agreement.warnings.length} of ${r.agreement.checked} comparisons disagree:\n` +
        r.agreement.warnings.map((w) => `  - ${w}`).join('\n');
  return [
    ...head,
    table(rows),
    `(ours: each phase in its own process, peak RSS of that phase; total = sum of times, largest RSS. ` +
      `DuckDB ${duck.version}: one process, RSS cumulative. RSS before the first phase: ours ` +
      `${fmtMb(r.startRss.ours)} (node + code + input in memory), DuckDB ${fmtMb(r.startRss.duckdb)}.)`,
    agreement,
  ].join('\n');
}

async function parentMain(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  mkdirSync(options.out, { recursive: true });
  if (options.cpuProf) rmSync(join(options.out, 'prof'), { recursive: true, force: true });
  const pipeline = options.cases.includes('pipeline');
  let data: DataSet | undefined;
  if (pipeline) {
    const generating = performance.now();
    data = await ensureDataSet(join(options.out, 'data'), options.rows, options.seed);
    log(`data: ${data.dir} (${fmtMs(performance.now() - generating)}; cached by seed and size)`);
  }

  const runtime = SELF.endsWith('.ts')
    ? `tsx (unbundled: expect it 2–3× slower than the Lambda bundle)`
    : `esbuild bundle ${SELF}, as the Lambda functions are bundled`;
  const header = [
    `strata pipeline benchmark — ${new Date().toISOString()}`,
    `ours: ${runtime}; node ${process.version}, one JavaScript thread, and a worker thread compressing the Parquet pages it writes`,
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; runs: ${options.runs} (medians); ` +
      `cases: ${options.cases.join(', ')}`,
  ];
  process.stdout.write(`${header.join('\n')}\n`);

  const results: FormatResult[] = [];
  const summaries: string[] = [];
  let duckVersion = '';
  let duckThreads = '';
  for (const format of data ? options.formats : []) {
    const { result, duck } = await benchFormat(format, data as DataSet, options, log);
    duckVersion = duck.version;
    duckThreads = duck.threads;
    results.push(result);
    process.stdout.write(`\n${printFormat(result, data as DataSet, duck)}\n`);
    const total = result.ratio.at(-1);
    const ours = result.ours.at(-1);
    const theirs = result.duckdb.at(-1);
    if (total && ours && theirs) {
      summaries.push(
        `${format}: ${fmtMs(ours.ms)} vs ${fmtMs(theirs.ms)} (${fmtRatio(total.time)} time), ` +
          `${fmtMb(ours.maxRss)} vs ${fmtMb(theirs.maxRss)} peak RSS (${fmtRatio(total.rss)})`,
      );
    }
  }
  const hashes = new Set(results.map((r) => r.stagedHash));
  if (results.length > 1) {
    process.stdout.write(
      hashes.size === 1
        ? '\nThe staged Parquet written from the CSV and from the Parquet input is byte-identical.\n'
        : '\nWARNING: the staged Parquet differs between the CSV and the Parquet input.\n',
    );
  }

  let drift: DriftCaseResult | undefined;
  if (options.cases.includes('drift')) {
    drift = await benchDrift(SELF, options, log);
    duckVersion = drift.duckdbVersion;
    duckThreads = drift.duckdbThreads;
    process.stdout.write(`\n${printDrift(drift)}\n`);
  }

  let pull: PullCaseResult | undefined;
  if (options.cases.includes('pull')) {
    pull = await benchPull(SELF, options, log);
    process.stdout.write(`\n${printPull(pull)}\n`);
  }

  let commit: CommitCaseResult | undefined;
  if (options.cases.includes('commit')) {
    commit = await benchCommit(
      SELF,
      { runs: options.runs, out: options.out, versions: options.commitVersions },
      log,
    );
    process.stdout.write(`\n${printCommit(commit)}\n`);
  }
  let engine: EngineCaseResult | undefined;
  if (options.cases.includes('engine')) {
    engine = await benchEngine(SELF, options, log);
    process.stdout.write(`\n${printEngine(engine)}\n`);
  }
  let clientParquet: ClientParquetCaseResult | undefined;
  if (options.cases.includes('client-parquet')) {
    clientParquet = await benchClientParquet(SELF, options, log);
    process.stdout.write(`\n${printClientParquet(clientParquet)}\n`);
  }

  const summary =
    duckVersion === ''
      ? ['']
      : [
          `\nDuckDB ${duckVersion} ran with ${duckThreads} threads (its default here); ours is one JavaScript thread plus a worker thread that compresses the Parquet pages the parse writes.`,
        ];
  if (summaries.length > 0) {
    summary.push(
      `Summary, parse+validate+profile ours vs DuckDB load+validate+profile: ${summaries.join('; ')}`,
    );
  }
  const driftTotal = drift?.ratio.at(-1);
  if (drift && driftTotal) {
    const ours = drift.ours.at(-1) as { ms: number; maxRss: number };
    const theirs = drift.duckdb.at(-1) as { ms: number; maxRss: number };
    summary.push(
      `Summary, drift (read+collect+compare ours vs DuckDB load+stats): ${fmtMs(ours.ms)} vs ` +
        `${fmtMs(theirs.ms)} (${fmtRatio(driftTotal.time)} time), ${fmtMb(ours.maxRss)} vs ` +
        `${fmtMb(theirs.maxRss)} peak RSS (${fmtRatio(driftTotal.rss)}); agreement: ` +
        `${drift.agreement.mismatches.length === 0 ? 'yes' : `${drift.agreement.mismatches.length} mismatches`}`,
    );
  }
  if (pull) {
    const sizes = pull.sizes.map(
      (s) =>
        `batch ${s.batchSize}: ${fmtMs(s.ours.ms)}, ${fmtMb(s.ours.maxRss)} peak RSS (${fmtRatio(s.ratio.driver.time)} ` +
        `/ ${fmtRatio(s.ratio.driver.rss)} the driver floor's ${fmtMs(s.driver.ms)} / ${fmtMb(s.driver.maxRss)})`,
    );
    summary.push(
      `Summary, pull (PostgreSQL → Parquet, ${pull.rows} rows; COPY floor ${fmtMs(pull.copy.ms)}, ` +
        `${fmtMb(pull.copy.maxRss)}): ${sizes.join('; ')}; check: ` +
        `${pull.problems.length === 0 ? 'every row exactly once' : `${pull.problems.length} failures`}`,
    );
  }
  if (commit) {
    const last = commit.points
      .slice(-2)
      .map(
        (p) =>
          `${p.table} at ${p.version}: append ${fmtMs(p.ours.append.ms)} vs ${fmtMs(p.deltaRs.append.ms)} ` +
          `(${fmtRatio(p.ratio.append)}), load ${fmtMs(p.ours.load.ms)} vs ${fmtMs(p.deltaRs.load.ms)} ` +
          `(${fmtRatio(p.ratio.load)})`,
      );
    summary.push(
      `Summary, commit (ours vs delta-rs): ${last.join('; ')}; check: ` +
        `${commit.problems.length === 0 ? 'delta-rs reads what was committed' : `${commit.problems.length} failures`}`,
    );
  }
  if (engine) {
    const parts = engine.formats.map((f) => {
      const two = f.duckdb.find((d) => d.threads === 2)?.side;
      const one = f.duckdb.find((d) => d.threads === 1)?.side;
      return (
        `${f.format}: ours ${fmtMs(f.ours.ms)} / ${fmtMb(f.ours.maxRss)}, DuckDB threads=1 ` +
        `${one ? `${fmtMs(one.ms)} / ${fmtMb(one.maxRss)} (${fmtRatio(f.ours.ms / one.ms)} time)` : '-'}, ` +
        `threads=2 ${two ? `${fmtMs(two.ms)} / ${fmtMb(two.maxRss)} (${fmtRatio(f.ours.ms / two.ms)} time)` : '-'}`
      );
    });
    summary.push(`Summary, engine (parse → Parquet, ours vs DuckDB read → COPY): ${parts.join('; ')}`);
  }
  if (clientParquet) {
    const parts = clientParquet.writers
      .filter((w) => w.writer !== 'ours')
      .map((w) => `${w.writer} ${fmtRatio(w.ratio.time)} time, ${fmtRatio(w.ratio.size)} size`);
    summary.push(
      `Summary, client Parquet (against our writer): ${parts.join('; ')}; check: ` +
        `${clientParquet.problems.length === 0 ? 'the pipeline reads every file back' : clientParquet.problems.join('; ')}`,
    );
  }
  process.stdout.write(`${summary.join('\n')}\n`);
  const json = {
    date: new Date().toISOString(),
    node: process.version,
    runtime,
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    cases: options.cases,
    rows: options.rows,
    seed: options.seed,
    runs: options.runs,
    duckdb: { version: duckVersion, threads: duckThreads },
    ...(data && { files: { csv: data.csv, parquet: data.parquet } }),
    results,
    ...(drift && { drift }),
    ...(pull && { pull }),
    ...(commit && { commit }),
    ...(clientParquet && { clientParquet }),
    ...(engine && { engine }),
  };
  const resultsPath = join(options.out, 'results.json');
  writeFileSync(resultsPath, `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(
    `results: ${resultsPath}${options.cpuProf ? `; CPU profiles: ${join(options.out, 'prof')}` : ''}\n`,
  );
  // A real disagreement of the drift results fails the run (the timings never do).
  if (drift && drift.agreement.mismatches.length > 0) process.exitCode = 1;
  // So does a pull whose batches miss or repeat a row.
  if (pull && pull.problems.length > 0) process.exitCode = 1;
  // And a commit case whose tables delta-rs reads otherwise than they were committed.
  if (commit && commit.problems.length > 0) process.exitCode = 1;
  // And a client Parquet file the pipeline's reader does not read back as written.
  if (clientParquet && clientParquet.problems.length > 0) process.exitCode = 1;
}

const [mode, kind, json] = process.argv.slice(2);
if (mode === '--child' && kind && json) {
  await childMain(kind, json);
} else {
  await parentMain(process.argv.slice(2));
}
