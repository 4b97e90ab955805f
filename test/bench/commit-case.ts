/**
 * The commit case of `npm run bench` (`--case commit`; not in the default cases, as it starts MinIO): what
 * ONE append commit to a strata Delta table costs as the table ages, with checkpoints (every 100 versions,
 * as strata writes them) and without (an interval no table reaches), against delta-rs (PyPI deltalake, the
 * project's pinned venv) doing the same on the same table in the same run; and what loading the table's
 * snapshot costs at the same states.
 *
 * A MinIO of its own (infra/local/servers/minio.ts, a free port, data under <out>/commit-minio, stopped and
 * removed at the end, also on error) holds two tables. Each grows by commits of a small data file (strata's
 * Parquet writer, COMMIT_FILE_ROWS rows; the commits made directly, without reading the table first, so 500
 * take seconds) and is measured when it reaches each of the versions (default 1, 100, 500), where it holds
 * the commits 0…N:
 * - ours (commit-ours.ts, a child process per table state): `runs` loadSnapshot, then `runs` appends (the
 *   data file encoded and put, then TableWriter.append), each timed and its S3 requests counted;
 * - delta-rs (commit_delta_rs.py, one Python process per state, timed inside it): `runs` `DeltaTable(uri)`,
 *   then `runs` `write_deltalake(uri, data, mode="append")` of the same rows;
 * - delta-rs once more through a counting proxy (commit-proxy.ts), untimed: one load and one append, for
 *   its requests and bytes read.
 * Every measured append makes version N + 1 and is rolled back (its data files and commit deleted,
 * unmeasured) before the next, so every load and append of a state meets the same table. At the end
 * delta-rs reads every row of both tables: a row count, latest version or checkpoint list other than what
 * strata committed fails the bench (problems; exit non-zero).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { LOCAL_ACCESS_KEY_ID, LOCAL_REGION, LOCAL_SECRET_ACCESS_KEY } from '../../infra/local/credentials.js';
import { REPO_ROOT } from '../../infra/local/paths.js';
import { DELTALAKE_VERSION, ensureDeltaRs } from '../../infra/local/servers/delta-rs.js';
import { MINIO_VERSION, startMinio } from '../../infra/local/servers/minio.js';
import { freePort } from '../../infra/local/servers/process.js';
import { S3TableLog } from '../../shared/adapters/delta/s3-table-log.js';
import { DEFAULT_CHECKPOINT_INTERVAL, TableWriter } from '../../shared/adapters/delta/table-writer.js';
import { commit, loadSnapshot } from '../../shared/adapters/delta/transaction.js';
import type { Action } from '../../shared/domain/delta/actions.js';
import { datasetTableSchema } from '../../shared/domain/delta/schema.js';
import { rowCount } from '../../shared/domain/delta/snapshot.js';
import {
  addDataFile,
  createTableActions,
  type DataFile,
  dataFilePath,
  fileTransaction,
} from '../../shared/domain/delta/table.js';
import { batchFromRows } from '../../shared/domain/table.js';
import {
  COMMIT_FILE_ROWS,
  COMMIT_SCHEMA,
  type CommitOursArgs,
  type CommitOursResult,
  commitRows,
  countingS3Client,
  dataFileOf,
  encodeParquet,
  noRequests,
  type RequestCount,
  rollBack,
  type S3Target,
  WARM_UP_APPENDS,
  WARM_UP_LOADS,
} from './commit-ours.js';
import { type CountingProxy, startCountingProxy } from './commit-proxy.js';
import { fmtMs, fmtRatio, median, runChild, table } from './common.js';

export const DEFAULT_COMMIT_VERSIONS = [1, 100, 500];

/** The no-checkpoint table's interval: no table here gets near it. */
const NO_CHECKPOINTS = 1_000_000_000;

const BUCKET = 'bench';
/** The warm-ups' throwaway tables. */
const SCRATCH_ROOT = 'tables/bench-scratch/';
const SCRIPT = join(REPO_ROOT, 'test', 'bench', 'commit_delta_rs.py');
/** Data files put at once while a table grows. */
const PUT_CONCURRENCY = 16;

export interface CommitCaseOptions {
  runs: number;
  out: string;
  /** Table versions to measure at, ascending. */
  versions: number[];
}

interface TableSpec {
  name: string;
  root: string;
  checkpointInterval: number;
}

const TABLES: TableSpec[] = [
  {
    name: 'checkpoints',
    root: 'tables/bench/with-checkpoints/',
    checkpointInterval: DEFAULT_CHECKPOINT_INTERVAL,
  },
  { name: 'no checkpoints', root: 'tables/bench/without-checkpoints/', checkpointInterval: NO_CHECKPOINTS },
];

/** Medians over runs; request counts are the same in every run, bar a retry. */
interface Summary extends RequestCount {
  ms: number;
  runsMs: number[];
}

export interface CommitPointResult {
  table: string;
  /** The table's version when measured (its loads see this one; its appends follow it). */
  version: number;
  /** The checkpoint the loads start from (none: every commit from 0 is read). */
  checkpoint: number | undefined;
  ours: {
    load: Summary;
    append: Summary & { dataMs: number; commitMs: number };
  };
  deltaRs: {
    load: Summary;
    append: Summary;
  };
  /** Ours / delta-rs, of the medians. */
  ratio: { load: number; append: number };
}

export interface CommitCaseResult {
  fileRows: number;
  fileBytes: number;
  deltaRs: string;
  minio: string;
  /** Time to grow both tables by commits made directly (no table read before each). */
  buildMs: number;
  builtCommits: number;
  points: CommitPointResult[];
  final: {
    table: string;
    version: number;
    rows: number;
    deltaRsRows: number;
    files: number;
    checkpoints: number[];
  }[];
  problems: string[];
}

/** A table as the parent grows it. */
interface BenchTable extends TableSpec {
  log: S3TableLog;
  writer: TableWriter;
  uri: string;
  /** Latest version (-1: no table yet). */
  latest: number;
  /** Appends made (each adds COMMIT_FILE_ROWS rows), the create's included. */
  appends: number;
}

function summary(runs: ({ ms: number } & Partial<RequestCount>)[]): Summary {
  const of = (key: keyof RequestCount) => median(runs.map((r) => r[key] ?? 0));
  return {
    ms: median(runs.map((r) => r.ms)),
    runsMs: runs.map((r) => Math.round(r.ms * 10) / 10),
    get: of('get'),
    list: of('list'),
    put: of('put'),
    other: of('other'),
    bytesRead: of('bytesRead'),
  };
}

function diff(after: RequestCount, before: RequestCount): RequestCount {
  return {
    get: after.get - before.get,
    list: after.list - before.list,
    put: after.put - before.put,
    other: after.other - before.other,
    bytesRead: after.bytesRead - before.bytesRead,
  };
}

/**
 * Runs commit_delta_rs.py; each `mark <name>` line it prints is answered once `onMark` is done (the script
 * waits for the answer).
 */
function runDeltaRs<T>(
  python: string,
  env: Record<string, string>,
  args: string[],
  onMark: (name: string) => Promise<void> = async () => {},
): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(python, [SCRIPT, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let pending = '';
    let stderr = '';
    let marks = Promise.resolve();
    let failure: unknown;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith('mark ')) {
          marks = marks
            .then(() => onMark(line.slice('mark '.length)))
            .then(() => {
              child.stdin.write('\n');
            })
            .catch((error: unknown) => {
              failure ??= error;
              child.kill();
            });
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(new Error(`commit_delta_rs.py ${args[0]} exited with ${code}: ${stderr.slice(-2000)}`));
        return;
      }
      resolvePromise(JSON.parse(last) as T);
    });
  });
}

async function inBatches<T>(
  items: readonly T[],
  size: number,
  each: (item: T) => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(each));
}

export async function benchCommit(
  self: string,
  options: CommitCaseOptions,
  log: (line: string) => void,
): Promise<CommitCaseResult> {
  // Every measured append makes version N + 1: none may be due for a checkpoint, which would be measured.
  for (const v of options.versions) {
    if ((v + 1) % DEFAULT_CHECKPOINT_INTERVAL === 0) {
      throw new Error(`the commit case cannot measure at version ${v}: its appends would write a checkpoint`);
    }
  }
  const work = join(options.out, 'work');
  mkdirSync(work, { recursive: true });
  const python = await ensureDeltaRs((m) => log(`  ${m}`));
  const dataDir = join(options.out, 'commit-minio');
  rmSync(dataDir, { recursive: true, force: true });
  const [port, consolePort] = [await freePort(), await freePort()];
  const startedMinio = performance.now();
  const minio = await startMinio({
    port,
    consolePort,
    dataDir: join(dataDir, 'data'),
    // No bucket here has notifications: the webhook target is configured but never called.
    webhookUrl: 'http://127.0.0.1:9/unused',
    webhookAuthToken: randomUUID(),
    queueDir: join(dataDir, 'events'),
    logFile: join(dataDir, 'minio.log'),
  });
  log(`commit: MinIO on 127.0.0.1:${port} (${fmtMs(performance.now() - startedMinio)})`);
  const onSignal = () => {
    void minio.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let proxy: CountingProxy | undefined;
  try {
    const target: S3Target = {
      endpoint: `http://127.0.0.1:${port}`,
      region: LOCAL_REGION,
      accessKeyId: LOCAL_ACCESS_KEY_ID,
      secretAccessKey: LOCAL_SECRET_ACCESS_KEY,
      bucket: BUCKET,
    };
    const s3 = countingS3Client(target, noRequests());
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    proxy = await startCountingProxy(target.endpoint);
    const deltaEnv = (endpoint: string) => ({
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: target.accessKeyId,
      AWS_SECRET_ACCESS_KEY: target.secretAccessKey,
      AWS_REGION: target.region,
    });

    // The data file of every commit: the same rows, so every append adds the same bytes.
    const fileBytes = await encodeParquet(batchFromRows(COMMIT_SCHEMA, commitRows()));
    const template = await dataFileOf('template', fileBytes);
    const rowsFile = join(work, 'commit-rows.parquet');
    writeFileSync(rowsFile, fileBytes);

    const tables: BenchTable[] = TABLES.map((spec) => {
      const tableLog = new S3TableLog(s3, BUCKET, spec.root);
      return {
        ...spec,
        log: tableLog,
        writer: new TableWriter(tableLog, { checkpointInterval: spec.checkpointInterval }),
        uri: tableLog.uri,
        latest: -1,
        appends: 0,
      };
    });

    /** Commits one data file per version up to `to`, as TableWriter would but without reading the table. */
    const grow = async (t: BenchTable, to: number): Promise<number> => {
      const from = t.latest + 1;
      const ids = Array.from({ length: Math.max(0, to - from + 1) }, () => randomUUID());
      await inBatches(ids, PUT_CONCURRENCY, (id) =>
        s3.send(
          new PutObjectCommand({ Bucket: BUCKET, Key: `${t.root}${dataFilePath(id)}`, Body: fileBytes }),
        ),
      );
      for (const [i, id] of ids.entries()) {
        const version = from + i;
        const file: DataFile = { ...template, path: dataFilePath(id), modificationTime: Date.now() };
        const add: Action = { add: addDataFile(file) };
        const create = version === 0;
        const actions = create
          ? [
              ...createTableActions({
                id: randomUUID(),
                schema: datasetTableSchema(COMMIT_SCHEMA),
                name: t.name,
                createdTime: Date.now(),
                // delta-rs checkpoints by the table's own property (default 100, strata's interval too).
                ...(t.checkpointInterval !== DEFAULT_CHECKPOINT_INTERVAL && {
                  configuration: { 'delta.checkpointInterval': String(t.checkpointInterval) },
                }),
              }),
              add,
            ]
          : [add];
        const result = await commit(t.log, actions, {
          readVersion: version - 1,
          isBlindAppend: !create,
          txn: fileTransaction(id),
          operationParameters: { mode: create ? 'ErrorIfExists' : 'Append' },
        });
        if (result.version !== version || result.status !== 'committed') {
          throw new Error(`${t.uri}: the build's commit of version ${version} landed at ${result.version}`);
        }
        const checkpoint = await t.writer.checkpointIfDue(version);
        if (checkpoint && 'error' in checkpoint) throw checkpoint.error;
      }
      t.latest = Math.max(t.latest, to);
      t.appends += ids.length;
      return ids.length;
    };

    const problems: string[] = [];
    const points: CommitPointResult[] = [];
    let buildMs = 0;
    let builtCommits = 0;
    for (const version of options.versions) {
      for (const t of tables) {
        const building = performance.now();
        const built = await grow(t, version);
        buildMs += performance.now() - building;
        builtCommits += built;
        log(`  ${t.name}: ${built} commits to version ${version} in ${fmtMs(performance.now() - building)}`);
        const checkpoint = (await t.log.readLastCheckpoint())?.version;

        const args: CommitOursArgs = {
          target,
          root: t.root,
          checkpointInterval: t.checkpointInterval,
          runs: options.runs,
          scratchRoot: SCRATCH_ROOT,
        };
        // The SDK warns of its coming Node requirement in every process; the parent's warning is enough.
        const ours = await runChild<CommitOursResult>(self, 'commit-ours', args, ['--no-warnings']);
        const at = `${t.name} at ${version}`;
        const rows = t.appends * COMMIT_FILE_ROWS;
        ours.appends.forEach((a, i) => {
          if (a.status !== 'committed' || a.version !== version + 1 || a.attempts !== 1) {
            problems.push(
              `${at}: our append ${i + 1} ${a.status} version ${a.version} in ${a.attempts} attempts ` +
                `(expected ${version + 1} in 1)`,
            );
          }
          if (a.checkpoint) problems.push(`${at}: our append ${i + 1} wrote a checkpoint`);
        });
        for (const l of ours.loads) {
          if (l.version !== version || l.rows !== rows) {
            problems.push(
              `${at}: our load saw version ${l.version} with ${l.rows} rows (expected ${version}, ${rows})`,
            );
          }
        }

        // Each delta-rs append is rolled back before the next, as ours are.
        const rollBackNext = () => rollBack(s3, BUCKET, t.root, version + 1);
        const theirs = await runDeltaRs<{
          loads: { ms: number; version: number }[];
          appends: { ms: number }[];
          version: number;
        }>(
          python,
          deltaEnv(target.endpoint),
          ['measure', t.uri, rowsFile, String(options.runs), `s3://${BUCKET}/${SCRATCH_ROOT}${randomUUID()}`],
          rollBackNext,
        );
        for (const l of theirs.loads) {
          if (l.version !== version)
            problems.push(`${at}: delta-rs loaded version ${l.version}, not ${version}`);
        }
        if (theirs.version !== version) {
          problems.push(
            `${at}: after delta-rs's appends and their roll-backs the table is at ${theirs.version}`,
          );
        }

        // delta-rs's requests, counted on a pass of their own through the proxy.
        const counted = proxy as CountingProxy;
        const marks = new Map<string, RequestCount>();
        const probed = await runDeltaRs<{ version: number }>(
          python,
          deltaEnv(counted.url),
          ['probe', t.uri, rowsFile],
          async (name) => {
            marks.set(name, { ...counted.count });
            if (name === 'end') await rollBackNext();
          },
        );
        const mark = (name: string) => marks.get(name) ?? noRequests();
        const probe = { load: diff(mark('append'), mark('load')), append: diff(mark('end'), mark('append')) };
        if (probed.version !== version) {
          problems.push(`${at}: after delta-rs's probe and its roll-back the table is at ${probed.version}`);
        }

        const ourLoad = summary(ours.loads);
        const ourAppend = summary(ours.appends);
        const theirLoad = { ...summary(theirs.loads), ...probe.load };
        const theirAppend = { ...summary(theirs.appends), ...probe.append };
        const point: CommitPointResult = {
          table: t.name,
          version,
          checkpoint,
          ours: {
            load: ourLoad,
            append: {
              ...ourAppend,
              dataMs: median(ours.appends.map((a) => a.dataMs)),
              commitMs: median(ours.appends.map((a) => a.commitMs)),
            },
          },
          deltaRs: { load: theirLoad, append: theirAppend },
          ratio: { load: ourLoad.ms / theirLoad.ms, append: ourAppend.ms / theirAppend.ms },
        };
        points.push(point);
        log(
          `  ${t.name} at ${version}: ours load ${fmtMs(ourLoad.ms)}, append ${fmtMs(ourAppend.ms)}; ` +
            `delta-rs load ${fmtMs(theirLoad.ms)}, append ${fmtMs(theirAppend.ms)}`,
        );
      }
    }

    // Every row both engines committed, as delta-rs reads it and as strata replays it.
    const final: CommitCaseResult['final'] = [];
    for (const t of tables) {
      const counted = await runDeltaRs<{ version: number; rows: number; files: number }>(
        python,
        deltaEnv(target.endpoint),
        ['count', t.uri],
      );
      const snapshot = await loadSnapshot(t.log);
      const ours = snapshot ? (rowCount(snapshot) ?? -1) : -1;
      const expected = t.appends * COMMIT_FILE_ROWS;
      const checkpoints = (await t.log.list(0)).checkpoints;
      const expectedCheckpoints =
        t.checkpointInterval === NO_CHECKPOINTS
          ? []
          : Array.from(
              { length: Math.floor(t.latest / t.checkpointInterval) },
              (_, i) => (i + 1) * t.checkpointInterval,
            );
      if (counted.rows !== expected) {
        problems.push(`${t.name}: delta-rs reads ${counted.rows} rows, ${expected} were committed`);
      }
      if (ours !== expected)
        problems.push(`${t.name}: strata's snapshot holds ${ours} rows, ${expected} were committed`);
      if (counted.version !== t.latest || snapshot?.version !== t.latest) {
        problems.push(
          `${t.name}: latest version ${counted.version} (delta-rs), ${snapshot?.version} (strata), ${t.latest} committed`,
        );
      }
      if (counted.files !== t.appends)
        problems.push(`${t.name}: ${counted.files} data files, ${t.appends} appended`);
      if (checkpoints.join() !== expectedCheckpoints.join()) {
        problems.push(
          `${t.name}: checkpoints at [${checkpoints.join(', ')}], expected [${expectedCheckpoints.join(', ')}]`,
        );
      }
      final.push({
        table: t.name,
        version: t.latest,
        rows: expected,
        deltaRsRows: counted.rows,
        files: counted.files,
        checkpoints,
      });
    }
    return {
      fileRows: COMMIT_FILE_ROWS,
      fileBytes: fileBytes.byteLength,
      deltaRs: DELTALAKE_VERSION,
      minio: MINIO_VERSION,
      buildMs,
      builtCommits,
      points,
      final,
      problems,
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await proxy?.close();
    await minio.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const kb = (bytes: number) =>
  bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
const requests = (s: RequestCount) => `${s.get} / ${s.list} / ${s.put}`;

export function printCommit(r: CommitCaseResult): string {
  const head =
    `COMMIT: one append to a strata Delta table on MinIO (127.0.0.1), a data file of ${r.fileRows.toLocaleString('en-US')} ` +
    `rows × ${COMMIT_SCHEMA.columns.length} columns (${kb(r.fileBytes)} Parquet) per commit; vs delta-rs ${r.deltaRs} ` +
    `on the same table`;
  const replays = (p: CommitPointResult) =>
    p.checkpoint === undefined
      ? `${p.version + 1} commits`
      : `checkpoint ${p.checkpoint} + ${p.version - p.checkpoint} commits`;
  const appendRows: string[][] = [
    [
      'append: table',
      'version',
      'ours',
      'of it commit',
      'GET/LIST/PUT',
      'bytes read',
      'delta-rs',
      'GET/LIST/PUT',
      'bytes read',
      'time ×',
    ],
  ];
  const loadRows: string[][] = [
    [
      'load: table',
      'version',
      'reads',
      'ours',
      'GET/LIST',
      'bytes read',
      'delta-rs',
      'GET/LIST',
      'bytes read',
      'time ×',
    ],
  ];
  for (const p of r.points) {
    const o = p.ours;
    const d = p.deltaRs;
    appendRows.push([
      p.table,
      String(p.version),
      fmtMs(o.append.ms),
      fmtMs(o.append.commitMs),
      requests(o.append),
      kb(o.append.bytesRead),
      fmtMs(d.append.ms),
      requests(d.append),
      kb(d.append.bytesRead),
      fmtRatio(p.ratio.append),
    ]);
    loadRows.push([
      p.table,
      String(p.version),
      replays(p),
      fmtMs(o.load.ms),
      `${o.load.get} / ${o.load.list}`,
      kb(o.load.bytesRead),
      fmtMs(d.load.ms),
      `${d.load.get} / ${d.load.list}`,
      kb(d.load.bytesRead),
      fmtRatio(p.ratio.load),
    ]);
  }
  const check =
    r.problems.length === 0
      ? `commit check: ${r.final
          .map(
            (f) =>
              `${f.table}: delta-rs reads ${f.deltaRsRows.toLocaleString('en-US')} rows in ${f.files} files at version ${f.version}, ` +
              `as committed (checkpoints: ${f.checkpoints.length === 0 ? 'none' : f.checkpoints.join(', ')})`,
          )
          .join('; ')}`
      : `WARNING: ${r.problems.length} commit check failures:\n${r.problems.map((p) => `  - ${p}`).join('\n')}`;
  return [
    head,
    table(appendRows),
    table(loadRows),
    `(Medians of the runs. Version N: the table holds commits 0…N; every append makes version N+1 and ` +
      `is rolled back before the next, so all meet the same table. Ours = strata's Parquet writer + ` +
      `PutObject of the data file + TableWriter.append ("of it commit": the append alone, which reads the ` +
      `table, then puts the commit create-only); delta-rs = write_deltalake(uri, data, mode="append") and ` +
      `DeltaTable(uri), timed inside Python. Both warmed up first (${WARM_UP_LOADS} loads, ${WARM_UP_APPENDS} ` +
      `appends to a throwaway table). Requests: GetObject / ListObjectsV2 / PutObject; bytes read = GetObject bodies ` +
      `(delta-rs's counted on an extra untimed pass through a counting proxy). Tables grown by ` +
      `${r.builtCommits} direct commits in ${fmtMs(r.buildMs)}. MinIO ${r.minio}.)`,
    check,
  ].join('\n');
}
