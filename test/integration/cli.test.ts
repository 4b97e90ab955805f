/**
 * The `strata` CLI as users run it: the built bundle (dist/strata.mjs, package.json `bin`) in a child
 * process, talking to the local cloud's HTTP API with STRATA_API_URL / STRATA_API_KEY of a tenant of its
 * own. Exit codes, tables and --json are what is checked.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../shared/cli/build.js';
import { createFeatureStore } from '../../shared/client/feature-store.js';
import { api, cloudContext, newTenant } from '../support/cloud.js';
import { apiRows, type RecordsApi, startRecordsApi } from '../support/rest-server.js';

const ctx = cloudContext();
const REPO = join(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'strata-cli-test-'));
/** An empty state dir: no cloud.json, so nothing falls back to a running `npm start`. */
const noCloud = mkdtempSync(join(tmpdir(), 'strata-cli-nocloud-'));
let bin: string;
let apiKey: string;
let env: NodeJS.ProcessEnv;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
  base: NodeJS.ProcessEnv = env,
): ChildProcess {
  return spawn(process.execPath, [bin, ...args], {
    cwd: REPO,
    env: { ...base, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function finish(child: ChildProcess): Promise<Result> {
  const out = { stdout: '', stderr: '' };
  child.stdout?.on('data', (c) => {
    out.stdout += c;
  });
  child.stderr?.on('data', (c) => {
    out.stderr += c;
  });
  return new Promise((resolveRun) => child.on('close', (code) => resolveRun({ code, ...out })));
}

function strata(args: string[], extraEnv: NodeJS.ProcessEnv = {}, base: NodeJS.ProcessEnv = env) {
  return finish(start(args, extraEnv, base));
}

const json = <T>(result: Result): T => JSON.parse(result.stdout) as T;

/** A port nothing listens on: bound by the OS, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolvePort) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** customers.csv shifted: other countries, higher spend, new ids. */
function shiftedCustomers(): string {
  const lines = ['customer_id,signup_date,country,plan,monthly_spend,churned'];
  const countries = ['BR', 'JP', 'BR', 'IN', 'JP', 'BR'];
  countries.forEach((country, i) => {
    lines.push(
      `${2001 + i},2026-03-${String(4 + i).padStart(2, '0')},${country},pro,${(250 + 40 * i).toFixed(2)},false`,
    );
  });
  return `${lines.join('\n')}\n`;
}

beforeAll(async () => {
  bin = await buildCli();
  ({ apiKey } = await newTenant(ctx, 'cli'));
  env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    STRATA_API_URL: ctx.info.apiUrl,
    STRATA_API_KEY: apiKey,
    STRATA_STATE_DIR: noCloud,
  };
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(noCloud, { recursive: true, force: true });
});

describe('strata ingest, datasets, versions, drift', () => {
  it('ingests a good and a ragged CSV: a version for one, the quarantine reason for the other, exit 1', async () => {
    // Act
    const result = await strata([
      'ingest',
      'events/data/customers.csv',
      'events/data/ragged.csv',
      '--dataset',
      'customers',
      '--timeout',
      '90',
    ]);

    // Assess
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/customers\.csv\s+│ customers │ VERSIONED\s+│ 1 /);
    expect(result.stdout).toMatch(
      /ragged\.csv\s+│ customers │ QUARANTINED │ -\s+│ at parse: ParseError: .*line 3/,
    );
    // stderr is not a terminal here: plain progress lines, no bar.
    expect(result.stderr).toContain('customers.csv: VERSIONED v1');
    expect(result.stderr).not.toContain('█');
  });

  it('refuses to upload over an existing file (the presigned PUT is create-only), exit 3', async () => {
    // Act: the first test already uploaded customers.csv into this dataset.
    const result = await strata(['ingest', 'events/data/customers.csv', '--dataset', 'customers', '--json']);

    // Assess
    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout + result.stderr).toMatch(/exists|412|refused/i);
  });

  it('prints one JSON result per file with --json, exit 0 when every file was versioned', async () => {
    // Prepare
    const file = join(scratch, 'customers-march.csv');
    writeFileSync(file, shiftedCustomers());

    // Act
    const result = await strata(['ingest', file, '-d', 'customers', '--json']);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    const [only, ...rest] = json<Array<Record<string, unknown>>>(result);
    expect(rest).toEqual([]);
    expect(only).toMatchObject({
      file,
      dataset: 'customers',
      outcome: 'VERSIONED',
      version: 2,
      rows: 6,
      key: expect.stringMatching(/^fresh\/cli-[0-9a-f]+\/customers\/customers-march\.csv$/),
      fileId: expect.stringMatching(/^f_[0-9a-f]{32}$/),
      runId: expect.stringMatching(/^ingest-/),
    });
    const file2 = await api(ctx.info, `/files/${only?.fileId}`, { apiKey });
    expect(file2.body).toMatchObject({ version: 2, status: 'FRESH' });
  });

  it('records --meta key=value pairs on the file, found by them through GET /files', async () => {
    // Prepare: a dataset of its own, so the files route lists this file alone.
    const file = join(scratch, 'tagged.csv');
    writeFileSync(file, 'id,score\n1,0.5\n');

    // Act
    const result = await strata([
      'ingest',
      file,
      '-d',
      'tagged',
      '--meta',
      'source=crm',
      '--meta',
      'query=a=b',
      '--json',
    ]);
    const bad = await strata(['ingest', file, '-d', 'tagged', '--meta', 'no-equals-sign']);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    const [only] = json<Array<{ fileId: string; outcome: string }>>(result);
    expect(only?.outcome).toBe('VERSIONED');
    const record = await api(ctx.info, `/files/${only?.fileId}`, { apiKey });
    expect(record.body).toMatchObject({ metadata: { source: 'crm', query: 'a=b' } });
    const found = await api(ctx.info, '/files?metadata=source:crm&dataset=tagged', { apiKey });
    expect((found.body?.files as Array<{ fileId: string }> | undefined)?.map((f) => f.fileId)).toEqual([
      only?.fileId,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--meta takes key=value');
  });

  it('lists datasets and versions as tables, and as the API answers them with --json', async () => {
    // Act
    const datasets = await strata(['datasets']);
    const datasetsJson = await strata(['datasets', '--json']);
    const versions = await strata(['versions', 'customers']);
    const versionsJson = await strata(['versions', 'customers', '--json']);

    // Assess
    expect(datasets.code).toBe(0);
    expect(datasets.stdout).toMatch(/DATASET\s+│ FILES │ DUPLICATES │ SIZE\s+│ UPDATED/);
    expect(datasets.stdout).toMatch(/│ customers │ 3\s+│ 0 /);
    expect(json(datasetsJson)).toEqual((await api(ctx.info, '/datasets', { apiKey })).body);
    expect(versions.code).toBe(0);
    expect(versions.stdout).toMatch(/│ 2 \*\s+│ READY /);
    expect(versions.stdout).toMatch(/│ 1\s+│ READY /);
    expect(json(versionsJson)).toEqual(
      (await api(ctx.info, '/datasets/customers/versions', { apiKey })).body,
    );
  });

  it("prints the newest version's drift, fails on --fail-on, and saves the HTML report with --open", async () => {
    // Act
    const table = await strata(['drift', 'customers']);
    const asJson = await strata(['drift', 'customers', '--json']);
    const failOn = await strata(['drift', 'customers', '--version', '2', '--fail-on', 'moderate']);
    // BROWSER is the opener (`true` opens nothing): the report is saved and its path printed.
    const opened = await strata(['drift', 'customers', '--open'], { BROWSER: 'true' });

    // Assess
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('customers v2 (READY) against v1');
    expect(table.stdout).toMatch(/│ country\s+│ string\s+│ (MODERATE|HIGH|CRITICAL)/);
    const doc = json<{ version: number; report: { status: string; reference: { version: number } } }>(asJson);
    expect(doc).toEqual((await api(ctx.info, '/datasets/customers/versions/2/drift', { apiKey })).body);
    expect(doc.report).toMatchObject({ status: 'COMPARED', reference: { version: 1 } });
    expect(failOn.code).toBe(1);
    expect(failOn.stderr).toMatch(/at or above --fail-on MODERATE/);
    expect(opened.code, opened.stderr).toBe(0);
    const path = /drift report: (\S+\.html)/.exec(opened.stdout)?.[1] ?? '';
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path, 'utf8')).toMatch(/^<!doctype html>/i);
    rmSync(dirname(path), { recursive: true, force: true });
  });
});

describe('strata select, consume, lineage, cleanup', () => {
  let trainingSetId: string;

  it('selects a training set and consumes it once per job', async () => {
    // Act
    const selected = await strata(['select', '--dataset', 'customers', '--combine', 'parquet', '--json']);
    trainingSetId = json<{ id: string }>(selected).id;
    const consumed = await strata(['consume', trainingSetId, '--job', 'job-1']);
    const again = await strata(['consume', trainingSetId, '--job', 'job-1', '--json']);
    const nothingLeft = await strata(['select', '--dataset', 'customers']);

    // Assess
    expect(selected.code, selected.stderr).toBe(0);
    expect(json(selected)).toMatchObject({ selection: 'fresh', totals: { files: 2, rows: 14 } });
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout).toContain('2 files: 2 counted');
    expect(consumed.stdout).toMatch(/FRESH │ USED/);
    expect(json(again)).toMatchObject({ replayed: true, counted: expect.any(Array) });
    // Both files are USED now: nothing fresh, no sample to fall back to.
    expect(nothingLeft.code).toBe(1);
    expect(nothingLeft.stderr).toMatch(/422 EmptySelectionError/);
  });

  it('draws the lineage of a version down to the training set, as Mermaid', async () => {
    // Act
    const mermaid = await strata([
      'lineage',
      'dataset-version/customers/v1',
      '--direction',
      'down',
      '--mermaid',
    ]);
    const table = await strata(['lineage', `training-set/${trainingSetId}`]);

    // Assess
    expect(mermaid.code, mermaid.stderr).toBe(0);
    expect(mermaid.stdout).toMatch(/^flowchart/);
    expect(mermaid.stdout).toContain(`training-set: ${trainingSetId}`);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/dataset-version\/customers\/v1\s+│ derived_from │ training-set\//);
  });

  it('runs cleanup as a dry run unless --apply is given', async () => {
    // Act
    const dry = await strata(['cleanup', '--days', '0']);
    const dryJson = await strata(['cleanup', '--days', '0', '--dry-run', '--json']);
    const files = await api(ctx.info, '/files?dataset=customers&status=used', { apiKey });

    // Assess
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^DRY RUN, nothing changed/);
    expect(dry.stdout).toContain('would deprecate 2');
    expect(json(dryJson)).toMatchObject({ dryRun: true, totals: { deprecated: 2 } });
    expect(files.body?.files).toHaveLength(2);
  });
});

describe('strata features get', () => {
  it('reads a page of a registered feature version', async () => {
    // Prepare
    const T0 = Date.UTC(2026, 5, 1);
    await createFeatureStore({ apiUrl: ctx.info.apiUrl, apiKey }).register('user_spend', {
      source: { inline: { user: ['u1', 'u2', 'u1'], ts: [T0, T0, T0 + 3_600_000], spend: [10, 5, 12.5] } },
      entity_keys: ['user'],
      timestamp_column: 'ts',
    });

    // Act
    const table = await strata(['features', 'get', 'user_spend']);
    const asJson = await strata(['features', 'get', 'user_spend', '--limit', '2', '--json']);
    const missing = await strata(['features', 'get', 'nothing_here']);

    // Assess
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('feature user_spend@1.0.0 (3 rows)');
    expect(table.stdout).toMatch(/│ user\s+│/);
    const page = json<{ version: string; features: unknown[] }>(asJson);
    expect(page).toEqual((await api(ctx.info, '/features/user_spend?limit=2&format=json', { apiKey })).body);
    expect(page.features).toHaveLength(2);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/404 NotFoundError/);
  });
});

describe('strata connector', () => {
  let source: RecordsApi;
  /** The settings file `connector set` reads, for a REST source at `url`. */
  const settingsFile = (name: string, url: string) => {
    const file = join(scratch, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        source: {
          type: 'rest',
          url,
          pagination: { style: 'page', sizeParam: 'per_page', pageSize: 50 },
          recordsPath: '$.data',
          incrementalField: 'updated_at',
        },
        // Disabled: only the runs the test starts happen (the scheduler would start one at its next tick).
        enabled: false,
      }),
    );
    return file;
  };
  interface RunJson {
    runId: string;
    trigger: string;
    status: string;
    counts: { read: number; written: number; failed: number; files: number };
    watermarkAfter?: { value: string };
    error?: { name: string; message: string };
  }

  beforeAll(async () => {
    source = await startRecordsApi();
    source.rows = apiRows(1, 120);
  });
  afterAll(() => source.close());

  it('stores the settings from a file and prints them without a watermark yet', async () => {
    // Act
    const set = await strata(['connector', 'set', 'pulled', '--file', settingsFile('pulled', source.url)]);

    // Assess
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('stored the connector of pulled');
    expect(set.stdout).toMatch(
      /source\s+GET http:\/\/127\.0\.0\.1:\d+\/records, page pagination \(page from 1, per_page=50\), records at \$\.data/,
    );
    expect(set.stdout).toMatch(/incremental\s+by updated_at/);
    expect(set.stdout).toMatch(/enabled\s+no /);
    expect(set.stdout).toMatch(/watermark\s+- \(the next run reads from the start\)/);
  });

  it('runs the connector, waits for it and prints the counts; the next run pulls only the new rows', async () => {
    // Act
    const first = await strata(['connector', 'run', 'pulled']);
    source.rows.push(...apiRows(121, 130));
    const second = await strata(['connector', 'run', 'pulled', '--json']);

    // Assess
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/status\s+SUCCEEDED/);
    expect(first.stdout).toMatch(/records\s+120 read, 120 written, 0 failed, 0 skipped/);
    expect(first.stdout).toMatch(/watermark\s+- → 2026-01-01T00:02:00\.000Z/);
    expect(first.stderr).toMatch(/connector run \S+ of pulled started; waiting/);
    expect(second.code, second.stderr).toBe(0);
    expect(json<RunJson>(second)).toMatchObject({
      status: 'SUCCEEDED',
      trigger: 'api',
      counts: { written: 10, failed: 0, files: 1 },
      watermarkAfter: { value: apiRows(130, 130)[0]?.updated_at },
    });
  });

  it('lists the runs newest first and shows the stored watermark', async () => {
    // Act
    const runs = await strata(['connector', 'runs', 'pulled', '--json']);
    const table = await strata(['connector', 'runs', 'pulled']);
    const show = await strata(['connector', 'show', 'pulled', '--json']);
    const showTable = await strata(['connector', 'show', 'pulled']);

    // Assess
    expect(runs.code, runs.stderr).toBe(0);
    const items = json<{ runs: RunJson[] }>(runs).runs;
    expect(items.map((r) => r.counts.written)).toEqual([10, 120]);
    expect(items.map((r) => r.runId)).toEqual([...items.map((r) => r.runId)].sort().reverse());
    expect(json(runs)).toEqual((await api(ctx.info, '/datasets/pulled/connector/runs', { apiKey })).body);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      /RUN\s+│ TRIGGER │ STATUS\s+│ READ │ WRITTEN │ FAILED │ BYTES\s+│ DURATION\s+│ STARTED/,
    );
    expect(table.stdout).toMatch(/│ api\s+│ SUCCEEDED │ \d+\s+│ 10\s+│ 0 /);
    expect(show.code, show.stderr).toBe(0);
    expect(json(show)).toMatchObject({
      dataset: 'pulled',
      watermark: apiRows(130, 130)[0]?.updated_at,
      running: null,
      consecutiveFailures: 0,
      lastRun: { runId: items[0]?.runId, status: 'SUCCEEDED' },
    });
    expect(showTable.stdout).toMatch(/last run\s+\S+ SUCCEEDED at .*: \d+ read, 10 written/);
  });

  it('refuses a second run while one holds the lease (exit 3), and exits 1 when the source fails', async () => {
    // Prepare: a URL the source server answers 404, slowly enough to start a second run meanwhile.
    const missing = source.url.replace(/\/records$/, '/missing');
    await strata(['connector', 'set', 'broken', '--file', settingsFile('broken', missing)]);
    source.delayMs = 3_000;

    // Act
    const started = await strata(['connector', 'run', 'broken', '--no-wait', '--json']);
    const refused = await strata(['connector', 'run', 'broken']);
    const idle = await waitUntilIdle('broken');
    source.delayMs = 0;
    const failed = await strata(['connector', 'run', 'broken']);

    // Assess
    expect(started.code, started.stderr).toBe(0);
    expect(json(started)).toMatchObject({ status: 'STARTED', runId: expect.any(String) });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/409 ConflictError: run \S+ is in progress/);
    expect(idle.lastRun).toMatchObject({ runId: json<{ runId: string }>(started).runId, status: 'FAILED' });
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stdout).toMatch(/status\s+FAILED/);
    expect(failed.stdout).toMatch(
      /error\s+SourceError: GET http:\/\/127\.0\.0\.1:\d+\/missing\S* returned HTTP 404/,
    );
  });

  it('deletes the connector; show then exits 3', async () => {
    // Act
    const deleted = await strata(['connector', 'delete', 'pulled']);
    const show = await strata(['connector', 'show', 'pulled']);
    const runs = await strata(['connector', 'runs', 'pulled', '--json']);

    // Assess
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain('deleted the connector of pulled');
    expect(show.code).toBe(3);
    expect(show.stderr).toMatch(/404 NotFoundError: dataset "pulled" has no connector/);
    expect(json<{ runs: unknown[] }>(runs).runs).toHaveLength(2);
  });

  /** Until no run holds the connector's lease (for a run started with --no-wait); its settings and state. */
  async function waitUntilIdle(dataset: string, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const connector = await api(ctx.info, `/datasets/${dataset}/connector`, { apiKey });
      if (connector.status === 200 && connector.body?.running === null) return connector.body;
      await sleep(200);
    }
    throw new Error(`the ${dataset} connector is still running`);
  }
});

describe('exit codes', () => {
  it('exits 3 when the API refuses the key', async () => {
    const result = await strata(['datasets'], { STRATA_API_KEY: 'sk_not_a_key' });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^strata: 40[13]/);
  });

  it('exits 4 when the API cannot be reached', async () => {
    const result = await strata(['datasets'], { STRATA_API_URL: `http://127.0.0.1:${await closedPort()}` });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/cannot reach the API at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });

  it('exits 2 without configuration, and says what to set', async () => {
    const result = await strata(['datasets'], {}, { PATH: env.PATH, STRATA_STATE_DIR: noCloud });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no API configured: set STRATA_API_URL and STRATA_API_KEY/);
  });

  it('exits 1 when down finds no local cloud', async () => {
    const result = await strata(['down'], {}, { PATH: env.PATH, STRATA_STATE_DIR: noCloud });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no local cloud is running/);
  });
});

describe('strata up and down', () => {
  it('starts a local cloud on free ports, serves the CLI without configuration, and stops on strata down', async () => {
    // Prepare
    const stateDir = mkdtempSync(join(tmpdir(), 'strata-cli-up-'));
    const bare = { PATH: env.PATH, HOME: env.HOME, STRATA_STATE_DIR: stateDir };
    const upProcess = start(['up', '--free-ports', '--json'], {}, bare);
    const upDone = finish(upProcess);
    const info = await new Promise<{ apiUrl: string; pid: number }>((resolveInfo, reject) => {
      let buffered = '';
      upProcess.stdout?.on('data', (chunk) => {
        buffered += chunk;
        if (buffered.includes('\n')) resolveInfo(JSON.parse(buffered));
      });
      upProcess.on('close', (code) => reject(new Error(`strata up exited ${code}`)));
    });

    try {
      // Act
      const datasets = await strata(['datasets'], {}, bare);
      const twice = await strata(['up', '--free-ports'], {}, bare);
      const stopped = await strata(['down'], {}, bare);
      const upResult = await upDone;
      const again = await strata(['down'], {}, bare);

      // Assess
      expect(info.pid).toBe(upProcess.pid);
      expect(datasets.code, datasets.stderr).toBe(0);
      expect(datasets.stderr).toContain(`using the local cloud at ${info.apiUrl}`);
      expect(datasets.stdout).toContain('no datasets yet');
      expect(twice.code).toBe(1);
      expect(twice.stderr).toMatch(/already running \(pid \d+/);
      expect(stopped.code, stopped.stderr).toBe(0);
      expect(stopped.stdout).toMatch(/stopped the local cloud \(pid \d+\)/);
      expect(upResult.code).toBe(0);
      expect(upResult.stderr).toContain('SIGTERM: stopping the local cloud');
      expect(existsSync(join(stateDir, 'cloud.json'))).toBe(false);
      expect(again.code).toBe(1);
    } finally {
      if (upProcess.exitCode === null) upProcess.kill('SIGTERM');
      await upDone;
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 240_000);
});

describe('strata keys create', () => {
  const base = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' });

  it("issues a working key into the local cloud's table, found through its cloud.json", async () => {
    // Prepare: a state dir holding what `npm start` writes
    const state = mkdtempSync(join(tmpdir(), 'strata-cli-keys-'));
    writeFileSync(join(state, 'cloud.json'), JSON.stringify(ctx.info));
    const tenant = `keys-${Date.now().toString(36)}`;

    // Act
    const created = await strata(
      ['keys', 'create', tenant, '--name', 'ci', '--json'],
      {},
      {
        ...base(),
        STRATA_STATE_DIR: state,
      },
    );
    const key = json<{ apiKey: string; tenant: string; table: string }>(created);
    const listed = await strata(
      ['datasets', '--json'],
      {},
      {
        ...base(),
        STRATA_STATE_DIR: noCloud,
        STRATA_API_URL: ctx.info.apiUrl,
        STRATA_API_KEY: key.apiKey,
      },
    );

    // Assess
    expect(created.code).toBe(0);
    expect(key).toMatchObject({ tenant, table: ctx.info.metadataTable });
    expect(key.apiKey).toMatch(/^sk_strata_/);
    expect(listed.code).toBe(0);
    expect(json<{ datasets: unknown[] }>(listed).datasets).toEqual([]);
    rmSync(state, { recursive: true, force: true });
  });

  it('writes to a named table with the AWS credential chain and endpoint settings', async () => {
    // Prepare: the deployed-stack path, pointed at DynamoDB Local through the SDK's own endpoint variable
    const aws = {
      ...base(),
      STRATA_STATE_DIR: noCloud,
      AWS_REGION: ctx.info.region,
      AWS_ACCESS_KEY_ID: ctx.info.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: ctx.info.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: ctx.info.endpoints.dynamodb,
    };

    // Act
    const created = await strata(['keys', 'create', 'keys-aws', '--table', ctx.info.metadataTable], {}, aws);
    const apiKeyLine = created.stdout.split('\n').find((l) => l.trim().startsWith('sk_strata_'));
    const health = await api(ctx.info, '/datasets', { apiKey: apiKeyLine?.trim() ?? '' });
    const badTenant = await strata(
      ['keys', 'create', 'Not A Tenant', '--table', ctx.info.metadataTable],
      {},
      aws,
    );
    const noTable = await strata(
      ['keys', 'create', 'keys-aws'],
      {},
      { ...base(), STRATA_STATE_DIR: noCloud },
    );
    const wrongTable = await strata(['keys', 'create', 'keys-aws', '--table', 'no-such-table'], {}, aws);

    // Assess
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('shown only now');
    expect(health.status).toBe(200);
    expect(badTenant.code).toBe(2);
    expect(noTable.code).toBe(2);
    expect(noTable.stderr).toContain('--table');
    expect(wrongTable.code).toBe(2);
    expect(wrongTable.stderr).toContain('ResourceNotFoundException');
  });
});
