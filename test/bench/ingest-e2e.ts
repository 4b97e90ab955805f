/**
 * `npm run bench -- --case ingest [--rows N] [--runs N]`: the SDK's `ingestData` of the bench's table
 * (data.ts, 1M rows × 8 columns) as an Arrow table, end to end (Parquet in the client, presigned upload,
 * the pipeline run to VERSIONED), against the CLI uploading the same rows as CSV (`strata ingest`, the
 * built dist/strata.mjs, waiting for the run too), on a local cloud this script starts on free ports with
 * throwaway data (as the integration tests' setup does) and stops. Each ingest goes to a fresh dataset, so
 * every run is a first version. Prints times and the ratio SDK / CLI; asserts nothing about speed, but
 * exits non-zero when either ingest does not end VERSIONED with every row.
 *
 * Run by test/bench/run.ts through tsx, not from the bench's bundle: the local cloud's lambda host loads
 * the functions' sources itself.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startLocalCloud } from '../../infra/local/cloud.js';
import { arrowTableFrom } from '../../shared/client/arrow.js';
import { ingestData } from '../../shared/client/ingest.js';
import { createStrataClient } from '../../shared/client/strata.js';
import { fmtMs, fmtRatio, median } from './common.js';
import { batches, ensureDataSet, SCHEMA } from './data.js';

const root = resolve(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const rows = option('--rows', 1_000_000);
const runs = option('--runs', 1);

const data = await ensureDataSet(join(root, '.strata/bench/data'), rows, 42);
const dataDir = mkdtempSync(join(tmpdir(), 'strata-bench-ingest-'));
const cloud = await startLocalCloud({
  dataDir,
  ephemeral: true,
  ports: { host: 0, minio: 0, minioConsole: 0, dynamodb: 0, localstack: 0, glue: 0 },
});
const problems: string[] = [];
try {
  const { apiUrl, demoApiKey: apiKey } = cloud.info;
  const client = createStrataClient({ apiUrl, apiKey });
  const sdkMs: number[] = [];
  const cliMs: number[] = [];
  const sdkIngest = async (dataset: string, table: ReturnType<typeof arrowTableFrom>) => {
    const t = performance.now();
    const result = await ingestData(client, table, { dataset, timeoutMs: 30 * 60_000 });
    const ms = performance.now() - t;
    if (result.status !== 'VERSIONED' || result.rowsIngested !== table.numRows) {
      problems.push(
        `sdk ${dataset}: ${result.status} ${result.rowsIngested} rows ${result.reasons.join('; ')}`,
      );
    }
    return { ms, bytes: result.bytes };
  };
  const cliIngest = async (dataset: string, file: string) => {
    const t = performance.now();
    const cli = await promisify(execFile)(
      process.execPath,
      [join(root, 'dist/strata.mjs'), 'ingest', file, '-d', dataset, '--json', '--timeout', '1800'],
      { env: { ...process.env, STRATA_API_URL: apiUrl, STRATA_API_KEY: apiKey }, maxBuffer: 1 << 24 },
    ).catch((e: { stdout?: string; message: string }) => ({ stdout: e.stdout ?? e.message }));
    const ms = performance.now() - t;
    if (!/VERSIONED/.test(cli.stdout)) problems.push(`cli ${dataset}: ${cli.stdout.slice(0, 500)}`);
    return ms;
  };
  // Warm-up: the first invocation of each stage is a cold start of its function, which neither side should pay.
  const small = await ensureDataSet(join(root, '.strata/bench/data'), 1000, 42);
  await sdkIngest('bench-warm-sdk', arrowTableFrom(SCHEMA, batches(1000, 42)));
  await cliIngest('bench-warm-cli', small.csv.path);
  for (let run = 0; run < runs; run++) {
    // The Arrow table exists before the clock starts: the caller already holds it in memory.
    const table = arrowTableFrom(SCHEMA, batches(rows, 42));
    // Alternating which goes first, so neither always runs on a warmer (or busier) cloud.
    const order = run % 2 === 0 ? (['sdk', 'cli'] as const) : (['cli', 'sdk'] as const);
    for (const side of order) {
      if (side === 'sdk') {
        const r = await sdkIngest(`bench-sdk-${run}`, table);
        sdkMs.push(r.ms);
        process.stdout.write(`sdk run ${run + 1}: ${fmtMs(r.ms)} (${r.bytes} bytes uploaded)\n`);
      } else {
        const ms = await cliIngest(`bench-cli-${run}`, data.csv.path);
        cliMs.push(ms);
        process.stdout.write(`cli run ${run + 1}: ${fmtMs(ms)} (${data.csv.bytes} bytes uploaded)\n`);
      }
    }
  }
  const sdk = median(sdkMs);
  const cli = median(cliMs);
  process.stdout.write(
    `ingest end to end, ${rows.toLocaleString('en-US')} rows × ${SCHEMA.columns.length} columns: ` +
      `SDK (Arrow → Parquet → upload → VERSIONED) ${fmtMs(sdk)}, CLI (CSV upload → VERSIONED) ${fmtMs(cli)}: ` +
      `${fmtRatio(sdk / cli)} of the CLI's time${problems.length ? `; problems: ${problems.join(' | ')}` : ''}\n`,
  );
} finally {
  await cloud.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
if (problems.length > 0) process.exitCode = 1;
