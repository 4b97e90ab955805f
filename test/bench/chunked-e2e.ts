/**
 * `npm run bench -- --case chunked [--rows N] [--single-rows N] [--chunk-mib N] [--small-chunk-mib N]
 * [--formats csv,parquet]`:
 * a big file (default the bench table of data.ts at 10M rows × 8: ~1 GB of CSV, and the same rows as
 * Parquet in row groups of 100k rows) ingested end to end on a local cloud this script starts on free
 * ports with throwaway data (as ingest-e2e.ts does), into a dataset whose `chunkBytes` (default 64 MiB)
 * forces ≥ 8 chunks. Printed per file: the path the run took (the execution history enters `Chunks` or
 * `Stage: parse`), wall time from the upload's start and of the execution, per stage (the run's attempts,
 * `GET /runs/{id}`; the Map from the execution history), the chunks (rows, bytes, time, rows/s and MB/s of
 * each chunk function, from its attempt and the result it left in staging/), and the peak RSS of every
 * function's environments. The same format at `--single-rows` (default 1M; 0 skips) goes through the
 * single path and through the chunked path (`--small-chunk-mib`, default 4: ≥ 8 chunks) for comparison,
 * after one untimed ingest through each path (cold starts); DuckDB loading and converting the big file
 * (threads=2, before the cloud starts, each in its own process) is the referee.
 *
 * Peak RSS: the local lambda host runs each function environment as a child process of this one (a warm
 * worker serves invocations one at a time, as Lambda does). Before each ingest the high-water mark of
 * every worker is reset (`/proc/<pid>/clear_refs`, 5); during it /proc/<pid>/status is polled (VmHWM), so
 * a figure is the peak of one environment over the invocations it served in that run — for the chunk
 * function, several chunks one after another, an upper bound of one chunk's peak.
 *
 * A file whose format the split stage does not chunk yet goes through the single path whatever its size;
 * the printed path says so. Asserts nothing about speed; exits non-zero when a run does not end VERSIONED
 * with every row. Run by test/bench/run.ts through tsx: the local cloud's lambda host loads the functions'
 * sources itself.
 */
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
} from '@aws-sdk/client-sfn';
import { Upload } from '@aws-sdk/lib-storage';
import { awsClients, type LocalCloudInfo, startLocalCloud } from '../../infra/local/cloud.js';
import { executionNameFor } from '../../shared/domain/file-record.js';
import { chunkResultKey } from '../../shared/domain/object-key.js';
import { fmtMb, fmtMs, fmtRate, fmtRatio, MB, RESULT_MARK, runChild, table } from './common.js';
import { type DataSet, ensureDataSet } from './data.js';
import { type DuckEngineArgs, type DuckEngineResult, runDuckEngine } from './engine-duckdb.js';

const SELF = fileURLToPath(import.meta.url);
const root = resolve(import.meta.dirname, '../..');
type Format = 'csv' | 'parquet';

interface Options {
  rows: number;
  singleRows: number;
  chunkMib: number;
  /** The chunk size of the small file's chunked run (it is far smaller than the big file's chunks). */
  smallChunkMib: number;
  formats: Format[];
  seed: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    rows: 10_000_000,
    singleRows: 1_000_000,
    chunkMib: 64,
    smallChunkMib: 4,
    formats: ['parquet', 'csv'],
    seed: 42,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--rows') options.rows = Number(value());
    else if (arg === '--single-rows') options.singleRows = Number(value());
    else if (arg === '--chunk-mib') options.chunkMib = Number(value());
    else if (arg === '--small-chunk-mib') options.smallChunkMib = Number(value());
    else if (arg === '--formats') options.formats = value().split(',') as Format[];
    else if (arg === '--seed') options.seed = Number(value());
    // The pipeline case's options, accepted so that one command line serves both.
    else if (arg === '--runs') value();
    else throw new Error(`unknown option ${arg}`);
  }
  if (!Number.isSafeInteger(options.rows) || options.rows < 1) throw new Error('--rows: a positive integer');
  if (!Number.isSafeInteger(options.singleRows) || options.singleRows < 0) {
    throw new Error('--single-rows: 0 or a positive integer');
  }
  // The dataset config's own floor is 64 KiB.
  if (!(options.chunkMib >= 1 / 16 && options.smallChunkMib >= 1 / 16)) {
    throw new Error('--chunk-mib, --small-chunk-mib: at least 0.0625 (64 KiB)');
  }
  for (const f of options.formats) if (f !== 'csv' && f !== 'parquet') throw new Error(`unknown format ${f}`);
  return options;
}

// ---------------------------------------------------------------------------------------------------------
// Peak RSS of the local lambda host's function environments (child processes of this process)

interface WorkerSample {
  fn: string;
  hwm: number;
  /** CPU ticks (utime + stime) when the run started and at the last sample. */
  cpuStart: number;
  cpu: number;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

class RssMonitor {
  private readonly names = new Map<number, string>();
  private readonly peaks = new Map<number, WorkerSample>();
  private timer: NodeJS.Timeout | undefined;
  resetWorked = true;

  private workers(): number[] {
    const pids: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        // Fields after the command name (which is in parentheses and may hold spaces): state, ppid, …
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === process.pid) pids.push(Number(entry));
      } catch {
        // Gone between the listing and the read.
      }
    }
    return pids;
  }

  private nameOf(pid: number): string | undefined {
    const known = this.names.get(pid);
    if (known) return known;
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      const entry = env.find((e) => e.startsWith('STRATA_FUNCTION_ENTRY='))?.split('=')[1];
      if (!entry) return undefined;
      // functions/<name>/handler.ts
      const name = basename(resolve(entry, '..'));
      this.names.set(pid, name);
      return name;
    } catch {
      return undefined;
    }
  }

  private sample(): void {
    for (const pid of this.workers()) {
      const fn = this.nameOf(pid);
      if (!fn) continue;
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
        const cpu = cpuTicks(pid);
        const previous = this.peaks.get(pid);
        this.peaks.set(pid, {
          fn,
          hwm: Math.max(hwm, previous?.hwm ?? 0),
          cpuStart: previous?.cpuStart ?? cpu,
          cpu,
        });
      } catch {
        // Exited.
      }
    }
  }

  /** Resets every worker's high-water mark and the tally, then polls until `stop`. */
  start(): void {
    for (const pid of this.workers()) {
      if (!this.nameOf(pid)) continue;
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
      } catch {
        this.resetWorked = false;
      }
    }
    this.peaks.clear();
    this.sample();
    this.timer = setInterval(() => this.sample(), 200);
  }

  /** Peak RSS per function: each environment's, largest first. */
  stop(): Map<string, number[]> {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    const byFn = new Map<string, number[]>();
    // Only environments that worked during the run (≥ 0.1 s of CPU): an idle warm worker's mark is only
    // the memory it kept from earlier runs.
    for (const { fn, hwm, cpu, cpuStart } of this.peaks.values()) {
      if (cpu - cpuStart >= 10) byFn.set(fn, [...(byFn.get(fn) ?? []), hwm]);
    }
    for (const list of byFn.values()) list.sort((a, b) => b - a);
    return byFn;
  }
}

// ---------------------------------------------------------------------------------------------------------
// One ingest, measured

interface ChunkFigure {
  index: number;
  rows: number;
  bytes: number;
  /** The chunk function's time (see `source`). */
  ms: number;
  /** The chunk's own parse + write metric (its result's durationMs). */
  parseMs: number;
  attempts: number;
  /**
   * Where `ms` comes from: the run's recorded attempt, the Map's child execution (Lambda started →
   * succeeded), or, when neither is there, the chunk's own parse + write metric.
   */
  source: 'attempt' | 'map-child' | 'metric';
}

interface StageFigure {
  stage: string;
  /** The stage's time; for a family of per-chunk stages, the slowest chunk's. */
  ms: number;
  /** A family of per-chunk stages: the fastest chunk's time. */
  min?: number;
  attempts: number;
}

interface IngestResult {
  label: string;
  format: Format;
  rows: number;
  fileBytes: number;
  chunkBytes?: number;
  path: 'chunked' | 'single' | 'unknown';
  status: string;
  uploadMs: number;
  /** From the upload's start to the execution's end. */
  endToEndMs: number;
  /** The execution's own start to stop. */
  executionMs: number;
  mapMs?: number;
  /** Wall time of the quality Map (each chunk's quality state), from the execution history. */
  assessMs?: number;
  stages: StageFigure[];
  chunks: ChunkFigure[];
  rss: Record<string, number[]>;
  rowsVersioned?: number;
}

type Run = {
  fileId: string;
  stages: {
    stage: string;
    durationMs?: number;
    attempts: number;
    history: { durationMs?: number }[];
  }[];
};

async function api(info: LocalCloudInfo, path: string, init: RequestInit = {}) {
  const response = await fetch(`${info.apiUrl}${path}`, {
    ...init,
    headers: { 'x-api-key': info.demoApiKey, ...(init.headers as Record<string, string>) },
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

async function history(
  clients: ReturnType<typeof awsClients>,
  executionArn: string,
): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await clients.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** The split stage's chunk count, from its task's output in the execution history. */
function splitCount(events: HistoryEvent[]): number | undefined {
  for (const e of events) {
    const details = e.stateExitedEventDetails;
    if (details?.name !== 'Stage: split' || !details.output) continue;
    try {
      const count = (JSON.parse(details.output) as { split?: { chunkCount?: number } }).split?.chunkCount;
      if (typeof count === 'number') return count;
    } catch {
      // Not JSON: no count.
    }
  }
  return undefined;
}

/**
 * Per chunk index, the Lambda time of the Map's child execution that ran it (LambdaFunctionStarted →
 * LambdaFunctionSucceeded of its last attempt), where the engine lists the Map's runs; empty otherwise.
 */
async function mapChildTimes(
  clients: ReturnType<typeof awsClients>,
  events: HistoryEvent[],
): Promise<Map<number, number>> {
  const times = new Map<number, number>();
  const mapRunArn = events.find((e) => e.mapRunStartedEventDetails)?.mapRunStartedEventDetails?.mapRunArn;
  if (!mapRunArn) return times;
  try {
    let nextToken: string | undefined;
    do {
      const page = await clients.sfn.send(new ListExecutionsCommand({ mapRunArn, nextToken }));
      for (const child of page.executions ?? []) {
        if (!child.executionArn) continue;
        const described = await clients.sfn.send(
          new DescribeExecutionCommand({ executionArn: child.executionArn }),
        );
        const index = (JSON.parse(described.input ?? '{}') as { chunk?: { index?: number } }).chunk?.index;
        const childEvents = await history(clients, child.executionArn);
        const started = childEvents.filter((e) => e.type === 'LambdaFunctionStarted').at(-1)?.timestamp;
        const ended = childEvents.filter((e) => e.type === 'LambdaFunctionSucceeded').at(-1)?.timestamp;
        if (typeof index === 'number' && started && ended)
          times.set(index, ended.getTime() - started.getTime());
      }
      nextToken = page.nextToken;
    } while (nextToken);
  } catch {
    // The engine does not list Map runs: the caller falls back.
  }
  return times;
}

async function waitForExecution(
  clients: ReturnType<typeof awsClients>,
  executionArn: string,
  timeoutMs: number,
): Promise<DescribeExecutionCommandOutput> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const execution = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status !== 'RUNNING') return execution;
    } catch (error) {
      // The trigger starts the execution shortly after the S3 event.
      if ((error as { name?: string }).name !== 'ExecutionDoesNotExist') throw error;
    }
    await sleep(500);
  }
  throw new Error(`execution ${executionArn} did not finish within ${timeoutMs} ms`);
}

async function ingest(
  info: LocalCloudInfo,
  clients: ReturnType<typeof awsClients>,
  monitor: RssMonitor,
  job: {
    label: string;
    dataset: string;
    format: Format;
    file: { path: string; bytes: number };
    rows: number;
  },
  chunkBytes: number | undefined,
): Promise<IngestResult> {
  if (chunkBytes !== undefined) {
    const configured = await api(info, `/datasets/${job.dataset}/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chunkBytes }),
    });
    if (configured.status >= 300)
      throw new Error(`config ${job.dataset}: ${JSON.stringify(configured.body)}`);
  }
  const bucket = info.dataBucket;
  const key = `fresh/${info.demoTenant}/${job.dataset}/data.${job.format}`;
  monitor.start();
  const started = performance.now();
  const put = await new Upload({
    client: clients.s3,
    params: { Bucket: bucket, Key: key, Body: createReadStream(job.file.path) },
    partSize: 64 * 1024 * 1024,
    queueSize: 2,
  }).done();
  const uploadMs = performance.now() - started;
  const executionArn = `${info.stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionNameFor({
    bucket,
    key,
    versionId: put.VersionId,
  })}`;
  const execution = await waitForExecution(clients, executionArn, 60 * 60_000);
  const endToEndMs = performance.now() - started;
  const rss = Object.fromEntries(monitor.stop());
  const executionMs = (execution.stopDate?.getTime() ?? 0) - (execution.startDate?.getTime() ?? 0);

  const events = await history(clients, executionArn);
  const entered = (name: string) =>
    events.find((e) => e.stateEnteredEventDetails?.name === name)?.timestamp?.getTime();
  const exited = (name: string) =>
    events.find((e) => e.stateExitedEventDetails?.name === name)?.timestamp?.getTime();
  const names = new Set(events.flatMap((e) => e.stateEnteredEventDetails?.name ?? []));
  const path = names.has('Chunks') ? 'chunked' : names.has('Stage: parse') ? 'single' : 'unknown';
  const mapIn = entered('Chunks');
  const mapOut = exited('Chunks');
  const assessIn = entered('Assess chunks');
  const assessOut = exited('Assess chunks');

  const childTimes = await mapChildTimes(clients, events);

  const runs = await api(info, `/datasets/${job.dataset}/runs`);
  const runId = (runs.body?.runs as { runId: string }[] | undefined)?.[0]?.runId;
  const run = runId ? ((await api(info, `/runs/${runId}`)).body as unknown as Run) : undefined;
  const stages: StageFigure[] = [];
  const chunks: ChunkFigure[] = [];
  const attempts = new Map<number, { ms: number; attempts: number }>();
  for (const stage of run?.stages ?? []) {
    const chunk = /^chunk-(\d+)$/.exec(stage.stage);
    const perChunk = /^(scan|assess)-\d+$/.exec(stage.stage);
    if (chunk) {
      const ms = stage.history.at(-1)?.durationMs ?? stage.durationMs ?? 0;
      attempts.set(Number(chunk[1]), { ms, attempts: stage.attempts });
    } else if (perChunk) {
      // One row per family (the Maps' items), not one per chunk.
      const family = `${perChunk[1]} (each chunk)`;
      const ms = stage.durationMs ?? 0;
      const row = stages.find((s) => s.stage === family);
      if (row) {
        row.min = Math.min(row.min ?? ms, ms);
        row.ms = Math.max(row.ms, ms);
        row.attempts += stage.attempts;
      } else stages.push({ stage: family, ms, min: ms, attempts: stage.attempts });
    } else {
      stages.push({ stage: stage.stage, ms: stage.durationMs ?? 0, attempts: stage.attempts });
    }
  }
  const chunkCount = path === 'chunked' ? (splitCount(events) ?? attempts.size) : 0;
  for (let index = 0; index < chunkCount; index++) {
    let rows = 0;
    let bytes = 0;
    let parseMs = 0;
    try {
      const object = await clients.s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: chunkResultKey(info.demoTenant, job.dataset, run?.fileId ?? '', index),
        }),
      );
      const result = JSON.parse((await object.Body?.transformToString()) ?? '{}') as {
        rowCount?: number;
        metrics?: { bytesRead?: number; durationMs?: number };
      };
      rows = result.rowCount ?? 0;
      bytes = result.metrics?.bytesRead ?? 0;
      parseMs = result.metrics?.durationMs ?? 0;
    } catch {
      // Left at zero: printed as such.
    }
    const attempt = attempts.get(index);
    const child = childTimes.get(index);
    chunks.push({
      index,
      rows,
      bytes,
      parseMs,
      ...(attempt
        ? { ms: attempt.ms, attempts: attempt.attempts, source: 'attempt' as const }
        : child
          ? { ms: child, attempts: 1, source: 'map-child' as const }
          : { ms: parseMs, attempts: 1, source: 'metric' as const }),
    });
  }
  chunks.sort((a, b) => a.index - b.index);
  const version = await api(info, `/datasets/${job.dataset}/versions/1`);
  return {
    label: job.label,
    format: job.format,
    rows: job.rows,
    fileBytes: job.file.bytes,
    ...(chunkBytes !== undefined && { chunkBytes }),
    path,
    status: execution.status ?? 'UNKNOWN',
    uploadMs,
    endToEndMs,
    executionMs,
    ...(mapIn !== undefined && mapOut !== undefined && { mapMs: mapOut - mapIn }),
    ...(assessIn !== undefined && assessOut !== undefined && { assessMs: assessOut - assessIn }),
    stages,
    chunks,
    rss,
    ...(typeof version.body?.rowCount === 'number' && { rowsVersioned: version.body.rowCount }),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Printing

function printIngest(r: IngestResult, duck: DuckEngineResult[] | undefined): string {
  const out: string[] = [];
  const chunking = r.chunkBytes === undefined ? 'default chunkBytes' : `chunkBytes ${fmtMb(r.chunkBytes)}`;
  out.push(
    `\n${r.label}: ${r.format.toUpperCase()} ${r.rows.toLocaleString('en-US')} rows, ${(r.fileBytes / MB).toFixed(1)} MB, ` +
      `${chunking} → ${r.path === 'chunked' ? `chunked path, ${r.chunks.length} chunks` : `${r.path} path`}; ` +
      `${r.status}, ${r.rowsVersioned?.toLocaleString('en-US') ?? '?'} rows versioned`,
  );
  out.push(
    `  end to end ${fmtMs(r.endToEndMs)} (upload ${fmtMs(r.uploadMs)}, execution ${fmtMs(r.executionMs)}): ` +
      `${fmtRate(r.rows / (r.endToEndMs / 1000))} rows/s, ${(r.fileBytes / MB / (r.endToEndMs / 1000)).toFixed(1)} MB/s`,
  );
  const stageRows: string[][] = [['stage', 'time', 'attempts']];
  const order = ['register', 'split', 'parse', 'merge', 'validate', 'profile', 'quality', 'drift', 'version'];
  const sorted = [...r.stages].sort((a, b) => order.indexOf(a.stage) - order.indexOf(b.stage));
  let placedMap = false;
  for (const s of sorted) {
    if (!placedMap && r.mapMs !== undefined && s.stage === 'merge') {
      stageRows.push([`Chunks (Map of ${r.chunks.length})`, fmtMs(r.mapMs), '']);
      placedMap = true;
    }
    if (r.assessMs !== undefined && s.stage === 'quality') {
      stageRows.push([`Assess chunks (Map of ${r.chunks.length})`, fmtMs(r.assessMs), '']);
    }
    const time = s.min === undefined ? fmtMs(s.ms) : `${fmtMs(s.min)}–${fmtMs(s.ms)}`;
    stageRows.push([s.stage, time, String(s.attempts)]);
  }
  out.push(
    table(stageRows)
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
  );
  if (r.chunks.length > 0) {
    const chunkRows: string[][] = [
      ['chunk', 'rows', 'MB read', 'time', 'rows/s', 'MB/s', 'parse+write', 'attempts', 'time from'],
    ];
    for (const c of r.chunks) {
      chunkRows.push([
        String(c.index),
        c.rows.toLocaleString('en-US'),
        (c.bytes / MB).toFixed(1),
        fmtMs(c.ms),
        fmtRate(c.rows / (c.ms / 1000)),
        (c.bytes / MB / (c.ms / 1000)).toFixed(1),
        fmtMs(c.parseMs),
        String(c.attempts),
        c.source,
      ]);
    }
    const busy = r.chunks.reduce((sum, c) => sum + c.ms, 0);
    out.push(
      table(chunkRows)
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
      `  chunk function time summed ${fmtMs(busy)} over a Map of ${r.mapMs === undefined ? '?' : fmtMs(r.mapMs)}: ` +
        `${r.mapMs ? (busy / r.mapMs).toFixed(2) : '?'} chunks running at once on average` +
        (r.chunks.some((c) => c.source === 'metric')
          ? ' (time from `metric`: the run recorded no chunk attempt and the Map listed no child executions, so ' +
            "a chunk's time is its own parse+write metric, without its profile and uploads)"
          : ''),
    );
  }
  const rssParts = Object.entries(r.rss)
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([fn, peaks]) => `${fn} ${peaks.map(fmtMb).join('/')}`);
  out.push(
    `  peak RSS per function environment that worked in this run (each worker's, largest first): ${rssParts.join('; ')}`,
  );
  for (const d of duck ?? []) {
    out.push(
      `  DuckDB ${d.mode === 'copy' ? `read_${r.format} → COPY parquet` : `load (CREATE TABLE AS read_${r.format})`}, ` +
        `threads=${d.threads}, same file: ${fmtMs(d.ms)}, peak RSS ${fmtMb(d.maxRss)}; our end to end is ` +
        `${fmtRatio(r.endToEndMs / d.ms)} of it`,
    );
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------

async function main(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const dataRoot = join(root, '.strata/bench/data');
  const generating = performance.now();
  const big = await ensureDataSet(dataRoot, options.rows, options.seed);
  const small =
    options.singleRows > 0 ? await ensureDataSet(dataRoot, options.singleRows, options.seed) : undefined;
  log(
    `data: ${big.dir}${small ? ` and ${small.dir}` : ''} (${fmtMs(performance.now() - generating)}; cached)`,
  );
  process.stdout.write(
    `strata chunked-path benchmark — ${new Date().toISOString()}\n` +
      `local cloud (tsx-run function workers, up to 4 environments per function); node ${process.version}; ` +
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}\n`,
  );

  // The referee first, on an idle cloud-less machine (as idle as a shared one gets).
  const work = mkdtempSync(join(tmpdir(), 'strata-bench-chunked-'));
  const duck = new Map<Format, DuckEngineResult[]>();
  for (const format of options.formats) {
    const file = format === 'csv' ? big.csv : big.parquet;
    const results: DuckEngineResult[] = [];
    for (const mode of ['load', 'copy'] as const) {
      const args: DuckEngineArgs = {
        mode,
        format,
        input: file.path,
        output: join(work, `duck.parquet`),
        threads: 2,
      };
      const r = await runChild<DuckEngineResult>(SELF, 'duck-engine', args);
      log(
        `DuckDB ${mode} ${format} ${big.rows} rows, threads=2: ${fmtMs(r.ms)}, peak RSS ${fmtMb(r.maxRss)}`,
      );
      results.push(r);
    }
    duck.set(format, results);
  }
  rmSync(join(work, 'duck.parquet'), { force: true });

  const dataDir = join(work, 'cloud');
  const cloud = await startLocalCloud({
    dataDir,
    ephemeral: true,
    ports: { host: 0, minio: 0, minioConsole: 0, dynamodb: 0, localstack: 0, glue: 0 },
  });
  const problems: string[] = [];
  const results: IngestResult[] = [];
  const monitor = new RssMonitor();
  const stamp = Date.now().toString(36);
  const chunkBytes = Math.round(options.chunkMib * 1024 * 1024);
  try {
    const clients = awsClients(cloud.info.endpoints);
    const run = async (
      label: string,
      format: Format,
      data: DataSet,
      chunkSize: number | undefined,
      duckResults?: DuckEngineResult[],
      measured = true,
    ) => {
      const dataset =
        `b${stamp}-${format}-${data.rows}-${chunkSize === undefined ? 'single' : 'chunked'}` +
        `${measured ? '' : '-warm'}`;
      const file = format === 'csv' ? data.csv : data.parquet;
      log(`ingesting ${label} (${dataset}) …`);
      const r = await ingest(
        cloud.info,
        clients,
        monitor,
        { label, dataset, format, file, rows: data.rows },
        chunkSize,
      );
      if (!measured) return r;
      results.push(r);
      if (r.status !== 'SUCCEEDED' || r.rowsVersioned !== data.rows) {
        problems.push(`${label}: ${r.status}, ${r.rowsVersioned ?? '?'} of ${data.rows} rows versioned`);
      }
      process.stdout.write(`${printIngest(r, duckResults)}\n`);
      return r;
    };
    for (const format of options.formats) {
      // The small file first, through both paths: once untimed (the first invocation of each function is
      // a cold start no measured run should pay), then measured, for the comparison.
      if (small) {
        const smallChunks = Math.round(options.smallChunkMib * 1024 * 1024);
        if (format === options.formats[0]) {
          await run('warm-up, single path', format, small, undefined, undefined, false);
          await run('warm-up, chunked path', format, small, smallChunks, undefined, false);
        }
        await run(`single path, ${format}`, format, small, undefined);
        await run(`chunked path, ${format}`, format, small, smallChunks);
      }
      await run(`big file, ${format}`, format, big, chunkBytes, duck.get(format));
    }
  } finally {
    await cloud.stop();
    rmSync(work, { recursive: true, force: true });
  }

  if (!monitor.resetWorked) {
    process.stdout.write(
      'note: /proc/<pid>/clear_refs could not be written: RSS peaks are each worker’s since it started\n',
    );
  }
  const summary = results
    .filter((r) => r.rows === big.rows)
    .map((r) => {
      const d = duck.get(r.format)?.find((x) => x.mode === 'copy');
      const chunkRss = Math.max(0, ...((r.path === 'chunked' ? r.rss.chunk : r.rss.parse) ?? []));
      const rates = r.chunks.map((c) => c.rows / (c.ms / 1000)).sort((a, b) => a - b);
      const mid = rates[rates.length >> 1];
      return (
        `${r.format} ${r.rows.toLocaleString('en-US')} rows (${(r.fileBytes / MB).toFixed(0)} MB): ${r.path} path` +
        `${r.chunks.length ? ` in ${r.chunks.length} chunks` : ''}, end to end ${fmtMs(r.endToEndMs)}` +
        `${mid ? `, median chunk ${fmtRate(mid)} rows/s` : ''}, peak RSS of a ${r.path === 'chunked' ? 'chunk' : 'parse'} ` +
        `environment ${fmtMb(chunkRss)}${d ? `; DuckDB read → COPY (threads=2) ${fmtMs(d.ms)}: ${fmtRatio(r.endToEndMs / d.ms)}` : ''}`
      );
    });
  process.stdout.write(`\nSummary, chunked path: ${summary.join('; ')}\n`);
  const out = join(root, '.strata/bench/chunked-results.json');
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), options, duckdb: Object.fromEntries(duck), results }, null, 2)}\n`,
  );
  process.stdout.write(`results: ${out}\n`);
  if (problems.length > 0) {
    process.stdout.write(`problems: ${problems.join(' | ')}\n`);
    process.exitCode = 1;
  }
}

const [mode, kind, json] = process.argv.slice(2);
if (mode === '--child' && kind === 'duck-engine' && json) {
  const result = await runDuckEngine(JSON.parse(json) as DuckEngineArgs);
  process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`);
} else {
  await main(process.argv.slice(2));
}
