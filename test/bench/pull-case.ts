/**
 * The pull case of `npm run bench` (`--case pull`; not in the default cases, as it needs PostgreSQL): a
 * database pull connector's per-batch work — rows read through our PostgresSource, shaped, encoded as
 * Parquet and hashed (pull-ours.ts) — on a generated table (pull-data.ts) in a throwaway PostgreSQL 15
 * (infra/local/servers/postgres.ts, started here and stopped at the end, also on error), against two
 * floors measured in the same run on the same table:
 * - the driver floor: pg + pg-cursor reading the same statement in the same batch size, rows discarded;
 *   ours / it is what our shaping and encoding add;
 * - the COPY floor: `psql` running `\copy (SELECT * FROM bench ORDER BY ts) TO '/dev/null' (FORMAT csv)`,
 *   the server and the wire at their cheapest; timed from spawn to exit, peak RSS by `/usr/bin/time -f %M`.
 * Ours runs at each batch size (default 10 000 and 100 000 rows) to show that its peak RSS follows the
 * batch, not the table. Each run: the COPY floor, then per batch size the driver floor and ours, each in
 * its own process. Our batches are checked (every id exactly once, no tie split, exact watermarks); a
 * failed check is reported as problems, which make the bench exit non-zero.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres } from '../../infra/local/servers/postgres.js';
import { buildPostgresQuery } from '../../shared/adapters/postgres-source.js';
import { fmtMb, fmtMs, fmtRate, fmtRatio, MB, median, runChild, table } from './common.js';
import {
  COPY_QUERY,
  connectionOf,
  createPullTable,
  PULL_COLUMNS,
  PULL_INCREMENTAL,
  PULL_TABLE,
  PULL_TIE,
  type PullConnection,
  type PullTable,
} from './pull-data.js';
import {
  type PullCheck,
  type PullChildArgs,
  type PullDriverResult,
  type PullOursResult,
  pullConfig,
} from './pull-ours.js';

export const DEFAULT_PULL_BATCH_SIZES = [10_000, 100_000];

export interface PullCaseOptions {
  rows: number;
  seed: number;
  runs: number;
  cpuProf: boolean;
  out: string;
  batchSizes: number[];
}

interface Measured {
  /** Medians over runs. */
  ms: number;
  maxRss: number;
  rowsPerSecond: number;
  runsMs: number[];
  runsMaxRss: number[];
}

interface CopyResult {
  ms: number;
  maxRss: number;
}

export interface PullSizeResult {
  batchSize: number;
  driver: Measured & { reads: number };
  ours: Measured & {
    /** Medians of the phases (ms). */
    phases: { read: number; shape: number; encode: number; hash: number };
    parquetMbPerSecond: number;
    firstBatchMaxRss: number;
    startRss: number;
  } & Pick<
      PullOursResult,
      | 'batches'
      | 'files'
      | 'parquetBytes'
      | 'minBatchRows'
      | 'maxBatchRows'
      | 'largestFileBytes'
      | 'outputHash'
      | 'lastWatermark'
    >;
  /** Ours / floor, of the medians; read / driver floor is the source adapter's own overhead. */
  ratio: {
    driver: { time: number; rss: number };
    copy: { time: number; rss: number };
    readVsDriver: number;
  };
  check: PullCheck;
  runs: { ours: PullOursResult[]; driver: PullDriverResult[] };
}

export interface PullCaseResult {
  rows: number;
  seed: number;
  table: PullTable;
  postgres: { version: string; startMs: number };
  psql: string;
  copy: Measured & { csvBytes: number };
  sizes: PullSizeResult[];
  /** Failed checks (empty when every run of ours held every row exactly once, in whole ties). */
  problems: string[];
}

function measured(values: { ms: number; maxRss: number }[], rows: number): Measured {
  const ms = median(values.map((v) => v.ms));
  return {
    ms,
    maxRss: median(values.map((v) => v.maxRss)),
    rowsPerSecond: rows / (ms / 1000),
    runsMs: values.map((v) => Math.round(v.ms)),
    runsMaxRss: values.map((v) => v.maxRss),
  };
}

/** Runs a command; resolves with its stdout byte count, rejects on a non-zero exit (with its stderr). */
function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  countStdout = false,
): Promise<{ stdoutBytes: number; stdout: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdoutBytes = 0;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.byteLength;
      if (!countStdout) stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise({ stdoutBytes, stdout });
      else reject(new Error(`${command} ${args[0] ?? ''} exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

function psqlArgs(c: PullConnection, target: string): string[] {
  return [
    '-X',
    '-q',
    '-v',
    'ON_ERROR_STOP=1',
    '-h',
    c.host,
    '-p',
    String(c.port),
    '-U',
    c.user,
    '-d',
    c.database,
    '-c',
    `\\copy (${COPY_QUERY}) TO ${target} WITH (FORMAT csv)`,
  ];
}

/** The COPY floor, once: wall time from spawn to exit, psql's peak RSS as /usr/bin/time reports it. */
async function copyFloor(c: PullConnection, timeFile: string): Promise<CopyResult> {
  const started = performance.now();
  await run('/usr/bin/time', ['-f', '%M', '-o', timeFile, 'psql', ...psqlArgs(c, "'/dev/null'")], {
    PGPASSWORD: c.password,
  });
  const ms = performance.now() - started;
  // %M is in KiB; the file's last line holds it.
  const kib = Number(readFileSync(timeFile, 'utf8').trim().split('\n').at(-1));
  if (!Number.isFinite(kib)) throw new Error(`/usr/bin/time wrote no peak RSS to ${timeFile}`);
  return { ms, maxRss: kib * 1024 };
}

function checkFails(c: PullCheck, rows: number): boolean {
  return (
    c.count !== rows ||
    c.sum !== (rows * (rows + 1)) / 2 ||
    c.duplicates + c.missing + c.outOfRange + c.splitTies + c.badWatermarks > 0
  );
}

function checkProblems(
  batchSize: number,
  rows: number,
  ours: PullOursResult[],
  driver: PullDriverResult[],
): string[] {
  const problems: string[] = [];
  const expectedSum = (rows * (rows + 1)) / 2;
  ours.forEach((o, run) => {
    const at = `batch ${batchSize}, run ${run + 1}`;
    const c = o.check;
    if (c.count !== rows) problems.push(`${at}: our batches hold ${c.count} ids, not ${rows}`);
    if (c.sum !== expectedSum) problems.push(`${at}: the ids sum to ${c.sum}, not ${expectedSum}`);
    if (c.duplicates > 0) problems.push(`${at}: ${c.duplicates} ids written more than once`);
    if (c.missing > 0) problems.push(`${at}: ${c.missing} ids never written`);
    if (c.outOfRange > 0) problems.push(`${at}: ${c.outOfRange} ids not in 1…${rows}`);
    if (c.splitTies > 0) problems.push(`${at}: ${c.splitTies} batches start inside the previous one's tie`);
    if (c.badWatermarks > 0)
      problems.push(`${at}: ${c.badWatermarks} batch watermarks are not their last ts`);
    if (o.rowsRead !== rows) problems.push(`${at}: the source read ${o.rowsRead} rows, not ${rows}`);
    if (o.failed > 0) problems.push(`${at}: shapeRecords dropped ${o.failed} records`);
    if (o.outputHash !== ours[0]?.outputHash) problems.push(`${at}: the Parquet files differ from run 1's`);
  });
  driver.forEach((d, run) => {
    if (d.rows !== rows) {
      problems.push(`batch ${batchSize}, run ${run + 1}: the driver floor read ${d.rows} rows, not ${rows}`);
    }
  });
  return problems;
}

function summarizeSize(
  batchSize: number,
  rows: number,
  ours: PullOursResult[],
  driver: PullDriverResult[],
  copy: Measured,
): PullSizeResult {
  const o = measured(ours, rows);
  const d = measured(driver, rows);
  const first = ours[0] as PullOursResult;
  const read = median(ours.map((r) => r.readMs));
  // The first run whose check failed stands for all (the problems list every run's failures).
  const worst = ours.find((r) => checkFails(r.check, rows))?.check ?? first.check;
  return {
    batchSize,
    driver: { ...d, reads: driver[0]?.reads ?? 0 },
    ours: {
      ...o,
      phases: {
        read,
        shape: median(ours.map((r) => r.shapeMs)),
        encode: median(ours.map((r) => r.encodeMs)),
        hash: median(ours.map((r) => r.hashMs)),
      },
      parquetMbPerSecond: first.parquetBytes / MB / (o.ms / 1000),
      firstBatchMaxRss: median(ours.map((r) => r.firstBatchMaxRss)),
      startRss: median(ours.map((r) => r.startRss)),
      batches: first.batches,
      files: first.files,
      parquetBytes: first.parquetBytes,
      minBatchRows: first.minBatchRows,
      maxBatchRows: first.maxBatchRows,
      largestFileBytes: first.largestFileBytes,
      outputHash: first.outputHash,
      lastWatermark: first.lastWatermark,
    },
    ratio: {
      driver: { time: o.ms / d.ms, rss: o.maxRss / d.maxRss },
      copy: { time: o.ms / copy.ms, rss: o.maxRss / copy.maxRss },
      readVsDriver: read / d.ms,
    },
    check: worst,
    runs: { ours, driver },
  };
}

export async function benchPull(
  self: string,
  options: PullCaseOptions,
  log: (line: string) => void,
): Promise<PullCaseResult> {
  const work = join(options.out, 'work');
  mkdirSync(work, { recursive: true });
  const timeFile = join(work, 'pull.copy-time.txt');
  const profDir = join(options.out, 'prof');
  const server = await startPostgres({ log: (m) => log(`  ${m}`) });
  // Ctrl-C must not leave the server running (it is detached in its own process group).
  const onSignal = () => {
    void server.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const connection = connectionOf(server);
    const connectorQuery = buildPostgresQuery(pullConfig(options.batchSizes[0] ?? 1), undefined).text;
    const tableInfo = await createPullTable(connection, options.rows, options.seed, connectorQuery);
    log(
      `pull data: table ${PULL_TABLE}, ${options.rows.toLocaleString('en-US')} rows in ` +
        `${fmtMs(tableInfo.createMs)} (${fmtMb(tableInfo.tableBytes)} heap, ${fmtMb(tableInfo.indexBytes)} index)`,
    );
    const psql = (await run('psql', ['--version'], {})).stdout.trim();
    // Warm-up, unmeasured: the table through the COPY path once, also counting the CSV it streams.
    const csv = await run('psql', psqlArgs(connection, 'STDOUT'), { PGPASSWORD: connection.password }, true);

    const copies: CopyResult[] = [];
    const ours = new Map<number, PullOursResult[]>(options.batchSizes.map((b) => [b, []]));
    const driver = new Map<number, PullDriverResult[]>(options.batchSizes.map((b) => [b, []]));
    for (let run = 0; run < options.runs; run++) {
      const c = await copyFloor(connection, timeFile);
      log(`  pull run ${run + 1}: COPY floor ${fmtMs(c.ms)}, psql peak RSS ${fmtMb(c.maxRss)}`);
      copies.push(c);
      for (const batchSize of options.batchSizes) {
        const args: PullChildArgs = { connection, batchSize, rows: options.rows };
        const d = await runChild<PullDriverResult>(self, 'pull-driver', args);
        log(
          `  pull run ${run + 1}, batch ${batchSize}: driver floor ${fmtMs(d.ms)}, peak RSS ${fmtMb(d.maxRss)}`,
        );
        driver.get(batchSize)?.push(d);
        const flags = options.cpuProf
          ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=pull-${batchSize}-${run}.cpuprofile`]
          : [];
        const o = await runChild<PullOursResult>(self, 'pull-ours', args, flags);
        log(
          `  pull run ${run + 1}, batch ${batchSize}: ours ${fmtMs(o.ms)} (read ${fmtMs(o.readMs)}, shape ` +
            `${fmtMs(o.shapeMs)}, encode ${fmtMs(o.encodeMs)}, hash ${fmtMs(o.hashMs)}), ${plural(o.files, 'file', 'files')}, ` +
            `peak RSS ${fmtMb(o.maxRss)}`,
        );
        ours.get(batchSize)?.push(o);
      }
    }

    const copy = { ...measured(copies, options.rows), csvBytes: csv.stdoutBytes };
    const problems: string[] = [];
    const sizes = options.batchSizes.map((batchSize) => {
      const o = ours.get(batchSize) ?? [];
      const d = driver.get(batchSize) ?? [];
      problems.push(...checkProblems(batchSize, options.rows, o, d));
      return summarizeSize(batchSize, options.rows, o, d, copy);
    });
    return {
      rows: options.rows,
      seed: options.seed,
      table: tableInfo,
      postgres: { version: tableInfo.serverVersion, startMs: server.startMs },
      psql,
      copy,
      sizes,
      problems,
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await server.stop();
  }
}

const num = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, one: string, many: string) => `${num(n)} ${n === 1 ? one : many}`;

export function printPull(r: PullCaseResult): string {
  const t = r.table;
  const head =
    `PULL: PostgreSQL ${r.postgres.version} on 127.0.0.1 (fsync off), table ${PULL_TABLE}: ${num(r.rows)} rows × ` +
    `${PULL_COLUMNS.length} columns, ${(t.tableBytes / MB).toFixed(1)} MB heap + ${(t.indexBytes / MB).toFixed(1)} ` +
    `MB index on ${PULL_INCREMENTAL}; incremental ${PULL_INCREMENTAL}, ${PULL_TIE} rows per value ` +
    `(${num(t.distinctTs)} values); ${num(t.nullAmounts)} NULL amounts, ${num(t.nullNotes)} NULL notes`;
  const rows: string[][] = [
    [
      'case',
      'batch',
      'time',
      'rows/s',
      'Parquet MB/s',
      'peak RSS',
      'time × driver',
      'RSS × driver',
      'time × COPY',
      'RSS × COPY',
    ],
    [
      'COPY floor: psql \\copy CSV → /dev/null',
      '—',
      fmtMs(r.copy.ms),
      fmtRate(r.copy.rowsPerSecond),
      '',
      fmtMb(r.copy.maxRss),
      '',
      '',
      '',
      '',
    ],
  ];
  for (const s of r.sizes) {
    const batch = num(s.batchSize);
    rows.push(
      [
        'driver floor: pg-cursor, rows discarded',
        batch,
        fmtMs(s.driver.ms),
        fmtRate(s.driver.rowsPerSecond),
        '',
        fmtMb(s.driver.maxRss),
        '',
        '',
        fmtRatio(s.driver.ms / r.copy.ms),
        fmtRatio(s.driver.maxRss / r.copy.maxRss),
      ],
      [
        'ours: source → shape → Parquet → hash',
        batch,
        fmtMs(s.ours.ms),
        fmtRate(s.ours.rowsPerSecond),
        s.ours.parquetMbPerSecond.toFixed(1),
        fmtMb(s.ours.maxRss),
        fmtRatio(s.ratio.driver.time),
        fmtRatio(s.ratio.driver.rss),
        fmtRatio(s.ratio.copy.time),
        fmtRatio(s.ratio.copy.rss),
      ],
    );
    const p = s.ours.phases;
    const phase = (label: string, ms: number, vsDriver = '') => [
      `  ${label}`,
      '',
      fmtMs(ms),
      fmtRate(r.rows / (ms / 1000)),
      '',
      '',
      vsDriver,
      '',
      '',
      '',
    ];
    rows.push(
      phase('read (PostgresSource)', p.read, fmtRatio(s.ratio.readVsDriver)),
      phase('shapeRecords', p.shape),
      phase('parquetBytes', p.encode),
      phase('SHA-256', p.hash),
    );
  }
  const details = r.sizes.map((s) => {
    const o = s.ours;
    const c = s.check;
    const ok = !checkFails(c, r.rows);
    return (
      `batch ${num(s.batchSize)}: ${plural(o.batches, 'batch', 'batches')} (${num(o.minBatchRows)}–${num(o.maxBatchRows)} rows: ` +
      `cut only between ${PULL_INCREMENTAL} values), ${plural(o.files, 'Parquet file', 'Parquet files')}, ${(o.parquetBytes / MB).toFixed(1)} ` +
      `MB in all (largest ${(o.largestFileBytes / MB).toFixed(2)} MB); peak RSS ${fmtMb(o.firstBatchMaxRss)} after ` +
      `the first batch, ${fmtMb(o.maxRss)} at the end (${fmtMb(o.startRss)} before the first); check: ` +
      (ok
        ? `${num(c.count)} ids, each exactly once (sum ${num(c.sum)})`
        : `${num(c.count)} ids, sum ${num(c.sum)}`) +
      `, ${c.splitTies === 0 ? 'no tie split' : `${c.splitTies} ties split`}, ` +
      `${c.badWatermarks === 0 ? 'watermarks = last ts' : `${c.badWatermarks} bad watermarks`}; last watermark ` +
      `${String(o.lastWatermark)}`
    );
  });
  const check =
    r.problems.length === 0
      ? `pull check: every run at every batch size wrote each of the ${num(r.rows)} rows exactly once, ` +
        `ties whole, the same Parquet bytes in every run`
      : `WARNING: ${r.problems.length} pull check failures:\n${r.problems.map((p) => `  - ${p}`).join('\n')}`;
  return [
    head,
    table(rows),
    ...details,
    `(Each measurement in its own process; peak RSS of that process (psql's for the COPY floor, by ` +
      `/usr/bin/time), never the server's. Ours = the pull's per-batch work without S3/DynamoDB: PostgresSource ` +
      `(REPEATABLE READ snapshot, pg-cursor, tie-safe cuts, record objects) → shapeRecords → parquetBytes → ` +
      `SHA-256 content name; phases are medians on their own and need not add up to the total's median. ` +
      `Driver floor: the same client, snapshot, statement and batch size with pg's default type parsers. ` +
      `COPY floor: ${r.psql}, ${(r.copy.csvBytes / MB).toFixed(1)} MB of CSV, timed from spawn to exit. ` +
      `Plans: ours ${t.plans.ours}; COPY ${t.plans.copy}.)`,
    check,
  ].join('\n');
}
