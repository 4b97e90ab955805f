import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveApiConfig } from '../../shared/cli/config.js';
import {
  CliError,
  describeError,
  EXIT,
  exitCodeFor,
  UnreachableError,
  worstExit,
} from '../../shared/cli/exit-codes.js';
import {
  displayUrl,
  driftRows,
  formatBytes,
  formatCleanup,
  formatConnector,
  formatConnectorRun,
  formatConnectorRuns,
  formatDrift,
  formatDuration,
  formatEvery,
  formatIngest,
  formatNumber,
  formatPercent,
  formatVersions,
} from '../../shared/cli/format.js';
import { exitCodeForOutcome, type IngestResult, runProgress } from '../../shared/cli/ingest.js';
import {
  type Io,
  openerFor,
  parseSince,
  readSettings,
  run,
  severityArg,
  waitForConnectorRun,
} from '../../shared/cli/program.js';
import { ApiError } from '../../shared/client/http.js';
import type { ConnectorView } from '../../shared/client/strata.js';
import type { ConnectorRunRecord } from '../../shared/domain/connector-runs.js';
import type { DriftReport } from '../../shared/domain/drift/report.js';
import type { RunView } from '../../shared/domain/run.js';
import type { VersionRecord } from '../../shared/domain/version.js';

const root = mkdtempSync(join(tmpdir(), 'strata-cli-unit-'));
const scratch = (prefix: string) => mkdtempSync(join(root, prefix));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('exit codes', () => {
  it.each([
    [new ApiError(400, 'InvalidInputError', 'bad', {}), EXIT.API],
    [new ApiError(401, 'UnauthorizedError', 'no key', {}), EXIT.API],
    [new ApiError(403, 'HTTP403', 'Forbidden', {}), EXIT.API],
    [new ApiError(404, 'NotFoundError', 'gone', {}), EXIT.API],
    [new ApiError(409, 'ConflictError', 'taken', {}), EXIT.API],
    [new ApiError(422, 'EmptySelectionError', 'nothing fits', {}), EXIT.NEGATIVE],
    [new ApiError(500, 'InternalError', 'Internal error', {}), EXIT.SERVER],
    [new ApiError(503, 'HTTP503', 'unavailable', {}), EXIT.SERVER],
    [new UnreachableError('ECONNREFUSED'), EXIT.SERVER],
    [new CliError('no config', EXIT.USAGE), EXIT.USAGE],
    [new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), EXIT.OK],
    [new CommanderError(0, 'commander.version', '0.1.0'), EXIT.OK],
    [new CommanderError(1, 'commander.help', '(outputHelp)'), EXIT.USAGE],
    [new CommanderError(1, 'commander.unknownOption', 'unknown option'), EXIT.USAGE],
    [new Error('a bug'), EXIT.NEGATIVE],
  ])('maps %s to %i', (error, code) => {
    expect(exitCodeFor(error)).toBe(code);
  });

  it('lets the most serious outcome of several decide', () => {
    expect(worstExit([])).toBe(EXIT.OK);
    expect(worstExit([EXIT.OK, EXIT.NEGATIVE, EXIT.OK])).toBe(EXIT.NEGATIVE);
    expect(worstExit([EXIT.NEGATIVE, EXIT.SERVER, EXIT.API])).toBe(EXIT.SERVER);
    expect(worstExit([EXIT.SERVER, EXIT.INTERRUPTED])).toBe(EXIT.INTERRUPTED);
  });

  it('says what went wrong in one line, pointing at the key on 401/403', () => {
    expect(describeError(new ApiError(404, 'NotFoundError', 'dataset "x" not found', {}))).toBe(
      '404 NotFoundError: dataset "x" not found',
    );
    expect(describeError(new ApiError(403, 'HTTP403', 'Forbidden', {}))).toBe(
      '403: Forbidden (check STRATA_API_KEY)',
    );
  });

  it('maps each ingest outcome: only a usable version or a duplicate is success', () => {
    const base = { file: 'a.csv', dataset: 'd' };
    expect(exitCodeForOutcome({ ...base, outcome: 'VERSIONED' })).toBe(EXIT.OK);
    expect(exitCodeForOutcome({ ...base, outcome: 'DUPLICATE' })).toBe(EXIT.OK);
    expect(exitCodeForOutcome({ ...base, outcome: 'UPLOADED' })).toBe(EXIT.OK);
    expect(exitCodeForOutcome({ ...base, outcome: 'HELD' })).toBe(EXIT.NEGATIVE);
    expect(exitCodeForOutcome({ ...base, outcome: 'QUARANTINED' })).toBe(EXIT.NEGATIVE);
    expect(exitCodeForOutcome({ ...base, outcome: 'TIMEOUT' })).toBe(EXIT.NEGATIVE);
    expect(exitCodeForOutcome({ ...base, outcome: 'ERROR' }, new ApiError(412, 'X', 'exists', ''))).toBe(
      EXIT.API,
    );
  });
});

describe('configuration', () => {
  const dir = scratch('config-');
  const cloudFile = join(dir, 'cloud.json');
  const none = join(dir, 'absent.json');
  writeFileSync(
    cloudFile,
    JSON.stringify({
      apiUrl: 'http://127.0.0.1:4400',
      hostUrl: 'http://127.0.0.1:4400',
      demoApiKey: 'sk_demo',
    }),
  );

  it('takes URL and key from the environment first', () => {
    expect(
      resolveApiConfig({ STRATA_API_URL: 'https://api.example.com', STRATA_API_KEY: 'sk_1' }, cloudFile),
    ).toEqual({ apiUrl: 'https://api.example.com', apiKey: 'sk_1', source: 'env' });
  });

  it('falls back to the running local cloud when neither is set', () => {
    expect(resolveApiConfig({}, cloudFile)).toEqual({
      apiUrl: 'http://127.0.0.1:4400',
      apiKey: 'sk_demo',
      source: 'local-cloud',
      cloudFile,
    });
    expect(resolveApiConfig({ STRATA_API_URL: 'http://127.0.0.1:4400/' }, cloudFile).apiKey).toBe('sk_demo');
  });

  it.each([
    [{}, none, /no API configured/],
    [{ STRATA_API_URL: 'https://api.example.com' }, cloudFile, /STRATA_API_KEY is not/],
    [{ STRATA_API_KEY: 'sk_1' }, cloudFile, /STRATA_API_URL is not/],
    [{ STRATA_API_URL: 'api.example.com', STRATA_API_KEY: 'sk_1' }, none, /not a URL/],
    [{ STRATA_API_URL: 'ftp://api.example.com', STRATA_API_KEY: 'sk_1' }, none, /not an http/],
  ])('refuses %j with a usage error', (env, file, message) => {
    const error = (() => {
      try {
        resolveApiConfig(env, file);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.USAGE);
    expect((error as CliError).message).toMatch(message);
  });
});

describe('arguments', () => {
  it('reads --since as an instant or a duration back from now', () => {
    const now = Date.parse('2026-11-24T12:00:00Z');
    expect(parseSince('7d', now)).toBe('2026-11-17T12:00:00.000Z');
    expect(parseSince('36h', now)).toBe('2026-11-23T00:00:00.000Z');
    expect(parseSince('2026-11-01T01:00:00+01:00', now)).toBe('2026-11-01T00:00:00.000Z');
    expect(() => parseSince('last week', now)).toThrow(/ISO 8601/);
  });

  it('takes a severity in any case, but not NONE', () => {
    expect(severityArg('high')).toBe('HIGH');
    expect(() => severityArg('none')).toThrow(/LOW, MODERATE, HIGH, CRITICAL/);
  });

  it('opens reports with the platform opener, or BROWSER', () => {
    expect(openerFor('linux', {})).toEqual({ command: 'xdg-open', args: [] });
    expect(openerFor('darwin', {})).toEqual({ command: 'open', args: [] });
    expect(openerFor('win32', {}).command).toBe('cmd');
    expect(openerFor('linux', { BROWSER: 'firefox --new-window' })).toEqual({
      command: 'firefox',
      args: ['--new-window'],
    });
  });
});

describe('formatting', () => {
  it('formats bytes in decimal units and statistics readably', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1500)).toBe('1.5 kB');
    expect(formatBytes(96_700_000)).toBe('96.7 MB');
    expect(formatNumber(undefined)).toBe('-');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(0.12345)).toBe('0.123');
    expect(formatNumber(0.00001)).toBe('1.00e-5');
    expect(formatNumber(Number.POSITIVE_INFINITY)).toBe('∞');
  });

  it('marks the current version in the versions table', () => {
    const version = (n: number, status: VersionRecord['status']) =>
      ({
        version: n,
        status,
        rowCount: 10 * n,
        tags: n === 2 ? ['prod'] : [],
        createdAt: '2026-11-24T10:00:00.000Z',
      }) as VersionRecord;

    const out = formatVersions({
      dataset: 'd',
      currentVersion: 1,
      versions: [version(2, 'HELD'), version(1, 'READY')],
    });

    expect(out).toMatch(/│ 2\s+│ HELD\s+│ 20\s+│/);
    expect(out).toMatch(/│ 1 \*\s+│ READY /);
    expect(out).toContain('prod');
    expect(out).toContain('2026-11-24 10:00:00Z');
  });

  it('prints one drift row per column with the statistics that set its severity', () => {
    const report = {
      kind: 'drift',
      status: 'COMPARED',
      reference: { version: 1, pinned: false, rows: 100 },
      current: { rows: 120 },
      severity: 'HIGH',
      severityCounts: { NONE: 1, LOW: 0, MODERATE: 0, HIGH: 1, CRITICAL: 0 },
      columns: [
        {
          column: 'amount',
          kind: 'numeric',
          type: 'float',
          severity: 'HIGH',
          psi: 0.31,
          ks: { statistic: 0.25, pValue: 0.0001, method: 'asymp' },
          jsDivergence: 0.08,
          meanShiftSd: 1.2,
          sampled: false,
        },
        {
          column: 'country',
          kind: 'categorical',
          type: 'string',
          severity: 'NONE',
          psi: 0.01,
          jsDivergence: 0.001,
          newCategoryCount: 1,
          newCategoryFraction: 0.05,
          missingCategoryCount: 0,
          chiSquare: { statistic: 1, dof: 2, pValue: 0.6 },
        },
      ],
      driftTypes: [{ type: 'covariate_shift', columns: ['amount'], message: 'inputs moved' }],
      recommendations: [{ code: 'RETRAIN', message: 'retrain' }],
    } as unknown as DriftReport;

    const out = formatDrift({
      dataset: 'sales',
      version: 2,
      status: 'HELD',
      hold: { reasons: ['drift HIGH > LOW'], at: '' },
      report,
    });

    expect(driftRows(report.columns)[0]).toEqual([
      'amount',
      'float',
      'HIGH',
      '0.310',
      '0.250',
      '1.00e-4',
      '0.080',
      '1.20',
      '',
    ]);
    expect(out).toContain('sales v2 (HELD) against v1');
    expect(out).toContain('severity HIGH (columns: 1 NONE, 1 HIGH); rows 100 → 120');
    expect(out).toContain('HELD: drift HIGH > LOW');
    expect(out).toContain('1 new (5.0% rows)');
    expect(out).toContain('→ RETRAIN: retrain');
  });

  it('names the columns a drift report left out as identifiers', () => {
    // Prepare
    const report = {
      status: 'COMPARED',
      reference: { version: 1, pinned: false, rows: 10 },
      current: { rows: 10 },
      severity: 'NONE',
      severityCounts: { NONE: 1 },
      columns: [],
      excludedColumns: [
        { column: 'customer_id', type: 'int', reason: 'identifier', source: 'inferred', detail: '' },
        { column: 'row', type: 'int', reason: 'identifier', source: 'settings', detail: '' },
      ],
      driftTypes: [],
      recommendations: [],
    } as unknown as DriftReport;

    // Act
    const out = formatDrift({ dataset: 'd', version: 2, status: 'READY', report });

    // Assess
    expect(out).toContain(
      'not compared: customer_id (identifier, inferred), row (identifier, drift settings)',
    );
  });

  it('says a first version has nothing to compare', () => {
    const report = { status: 'NO_REFERENCE', reference: null, columns: [] } as unknown as DriftReport;
    expect(formatDrift({ dataset: 'd', version: 1, status: 'READY', report })).toMatch(
      /nothing was compared/,
    );
  });

  it('explains each ingest outcome', () => {
    const results: IngestResult[] = [
      { file: 'ok.csv', dataset: 'd', outcome: 'VERSIONED', version: 3, rows: 8, driftSeverity: 'LOW' },
      {
        file: 'held.csv',
        dataset: 'd',
        outcome: 'HELD',
        version: 4,
        holdReasons: ['drift CRITICAL above gate LOW'],
      },
      {
        file: 'bad.csv',
        dataset: 'd',
        outcome: 'QUARANTINED',
        failure: { stage: 'parse', name: 'ParseError', message: 'line 3: ragged row' },
      },
    ];

    const out = formatIngest(results);

    expect(out).toMatch(/ok\.csv .*VERSIONED .*3 .*8 rows, drift LOW/);
    expect(out).toMatch(/held\.csv .*HELD .*HELD by a gate: drift CRITICAL above gate LOW/);
    expect(out).toMatch(/bad\.csv .*QUARANTINED .*at parse: ParseError: line 3: ragged row/);
  });

  it('says a dry-run cleanup changed nothing', () => {
    const out = formatCleanup({
      dryRun: true,
      policy: { daysOld: 30, graceDays: 7 },
      cutoffs: {
        deprecateUploadedBefore: '2026-10-25T00:00:00.000Z',
        deleteDeprecatedBefore: '2026-11-17T00:00:00.000Z',
      },
      deprecated: [
        {
          fileId: 'f_1',
          key: 'used/t/d/a.csv',
          from: 'USED',
          uploadedAt: '2026-09-01T00:00:00.000Z',
          size: 2048,
        },
      ],
      deleted: [],
      skipped: [],
      totals: { deprecated: 1, deleted: 0, bytesDeleted: 0, skipped: 0 },
      truncated: false,
    });
    expect(out).toMatch(/^DRY RUN, nothing changed/);
    expect(out).toContain('used/t/d/a.csv');
    expect(out).toContain('would deprecate 1, would delete 0 (0 B), skipped 0');
  });
});

describe('connectors', () => {
  const restView = (): ConnectorView => ({
    dataset: 'orders',
    source: {
      type: 'rest',
      url: 'https://user:pw@api.example.com/orders?status=open&api_key=abc123',
      auth: { header: 'Authorization', secretName: 'orders-api' },
      pagination: { style: 'page', param: 'page', firstPage: 1, sizeParam: 'per_page', pageSize: 50 },
      recordsPath: '$.data',
      rateLimitPerSecond: 5,
      maxAttempts: 5,
      maxPages: 10_000,
      requiredColumns: ['amount'],
      criticalColumns: [],
      columnMapping: { amt: 'amount' },
      batchSize: 1000,
      incrementalField: 'updated_at',
    },
    scheduleMinutes: 15,
    enabled: true,
    createdAt: '2026-11-24T10:00:00.000Z',
    updatedAt: '2026-11-24T10:00:00.000Z',
    watermark: '2026-01-01T00:02:10.000Z',
    nextRunAt: '2026-11-24T10:15:00.000Z',
    running: null,
    consecutiveFailures: 2,
    lastRun: {
      runId: '20261124T100000000Z-1a2b3c4d',
      status: 'FAILED',
      startedAt: '2026-11-24T10:00:00.000Z',
      counts: { read: 50, written: 0, failed: 0, skipped: 0, bytes: 0, files: 0 },
      errorRate: 0,
      error: { name: 'SourceError', message: 'GET https://api.example.com/orders returned HTTP 503' },
    },
  });

  const runRecord = (overrides: Partial<ConnectorRunRecord> = {}): ConnectorRunRecord => ({
    runId: '20261124T101500123Z-0badcafe',
    tenant: 't1',
    dataset: 'orders',
    sourceType: 'rest',
    trigger: 'api',
    status: 'SUCCEEDED',
    startedAt: '2026-11-24T10:15:00.123Z',
    endedAt: '2026-11-24T10:15:02.523Z',
    durationMs: 2400,
    counts: { read: 130, written: 10, failed: 1, skipped: 120, bytes: 12_345, files: 1 },
    errorRate: 1 / 130,
    watermarkBefore: { value: '2026-01-01T00:02:00.000Z' },
    watermarkAfter: { value: '2026-01-01T00:02:10.000Z' },
    files: ['fresh/t1/orders/pull-abc.parquet'],
    ...overrides,
  });

  it('formats durations, percentages and schedules readably', () => {
    expect(formatDuration(undefined)).toBe('-');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(1 / 130)).toBe('0.77%');
    expect(formatEvery(15)).toBe('every 15 min');
    expect(formatEvery(120)).toBe('every 2 h');
    expect(formatEvery(1440)).toBe('every 1 d');
  });

  it('shows a source URL without user info or credential-looking query values', () => {
    expect(displayUrl('https://user:pw@api.example.com/orders?status=open&api_key=abc123')).toBe(
      'https://api.example.com/orders?status=open&api_key=…',
    );
    expect(displayUrl('http://127.0.0.1:4000/records')).toBe('http://127.0.0.1:4000/records');
  });

  it("summarises a connector's settings and state, secrets by name only", () => {
    // Act
    const out = formatConnector(restView());

    // Assess
    expect(out).toMatch(/^connector of orders: rest\n/);
    expect(out).toMatch(
      /source\s+GET https:\/\/api\.example\.com\/orders\?status=open&api_key=…, page pagination \(page from 1, per_page=50\), records at \$\.data, Authorization from secret orders-api/,
    );
    expect(out).toMatch(/incremental\s+by updated_at/);
    expect(out).toMatch(/columns\s+mapped amt→amount; required amount/);
    expect(out).toMatch(/schedule\s+every 15 min/);
    expect(out).toMatch(/watermark\s+2026-01-01T00:02:10\.000Z/);
    expect(out).toMatch(/next run\s+2026-11-24 10:15:00Z/);
    expect(out).toMatch(/failures\s+2 in a row/);
    expect(out).toMatch(
      /last run\s+20261124T100000000Z-1a2b3c4d FAILED at 2026-11-24 10:00:00Z: 50 read, 0 written/,
    );
    expect(out).toMatch(
      /last error\s+SourceError: GET https:\/\/api\.example\.com\/orders returned HTTP 503/,
    );
    expect(out).not.toContain('abc123');
    expect(out).not.toContain('pw@');
  });

  it('summarises database and bucket sources', () => {
    const base = restView();
    const database = formatConnector({
      ...base,
      source: {
        type: 'database',
        engine: 'postgresql',
        secretName: 'orders-db',
        table: 'public.orders',
        requiredColumns: [],
        criticalColumns: ['id'],
        batchSize: 50_000,
      },
      watermark: null,
      lastRun: null,
    });
    const bucket = formatConnector({
      ...base,
      source: {
        type: 's3',
        bucket: 'landing',
        prefix: 'exports/',
        secretName: 'landing-keys',
        batchSize: 100,
      },
    });

    expect(database).toMatch(/source\s+postgresql table public\.orders, credentials from secret orders-db/);
    expect(database).toMatch(/incremental\s+none: every run reads the whole source/);
    expect(database).toMatch(/columns\s+critical id/);
    expect(database).toMatch(/watermark\s+- \(the next run reads from the start\)/);
    expect(database).toMatch(/last run\s+- \(none yet\)/);
    expect(bucket).toMatch(/source\s+s3:\/\/landing\/exports\/, credentials from secret landing-keys/);
    expect(bucket).not.toMatch(/columns/);
  });

  it('prints a run with its counts, the watermark it moved and its error', () => {
    // Act
    const ok = formatConnectorRun(runRecord());
    const failed = formatConnectorRun(
      runRecord({
        status: 'FAILED',
        watermarkAfter: { value: '2026-01-01T00:02:00.000Z' },
        error: { name: 'SourceError', message: 'GET http://h/x returned HTTP 404' },
      }),
    );

    // Assess
    expect(ok).toMatch(/^connector run 20261124T101500123Z-0badcafe of orders \(rest\)\n/);
    expect(ok).toMatch(/status\s+SUCCEEDED\n/);
    expect(ok).toMatch(/records\s+130 read, 10 written, 1 failed, 120 skipped/);
    expect(ok).toMatch(/written\s+1 file, 12\.3 kB/);
    expect(ok).toMatch(/duration\s+2\.4 s/);
    expect(ok).toMatch(/error rate\s+0\.77%/);
    expect(ok).toMatch(/watermark\s+2026-01-01T00:02:00\.000Z → 2026-01-01T00:02:10\.000Z/);
    expect(ok).toMatch(/started\s+2026-11-24 10:15:00Z \(api\)/);
    expect(ok).not.toMatch(/error\s+\S+Error/);
    expect(failed).toMatch(/status\s+FAILED/);
    expect(failed).toMatch(/error\s+SourceError: GET http:\/\/h\/x returned HTTP 404/);
  });

  it('lists runs as a table, newest first as the API answers them', () => {
    // Act
    const out = formatConnectorRuns('orders', {
      runs: [
        runRecord(),
        runRecord({
          runId: '20261124T100000000Z-1a2b3c4d',
          trigger: 'schedule',
          status: 'FAILED',
          error: { name: 'SourceError', message: 'x' },
        }),
      ],
    });
    const empty = formatConnectorRuns('orders', { runs: [] });

    // Assess
    const lines = out.split('\n');
    expect(lines[1]).toMatch(
      /RUN\s+│ TRIGGER\s+│ STATUS\s+│ READ │ WRITTEN │ FAILED │ BYTES\s+│ DURATION │ STARTED/,
    );
    expect(lines[2]).toMatch(
      /20261124T101500123Z-0badcafe │ api\s+│ SUCCEEDED\s+│ 130\s+│ 10\s+│ 1\s+│ 12\.3 kB │ 2\.4 s/,
    );
    expect(lines[3]).toMatch(/20261124T100000000Z-1a2b3c4d │ schedule │ FAILED \(SourceError\)/);
    expect(empty).toBe('no runs of the orders connector yet (strata connector run orders)');
  });

  it('reads the settings from a file or stdin, and calls anything but a JSON object a usage error', async () => {
    // Prepare
    const dir = scratch('settings-');
    const file = join(dir, 'settings.json');
    writeFileSync(file, '{"source":{"type":"rest","url":"http://h/x"}}');
    /** The error a promise rejects with (undefined when it resolves). */
    const refusal = (settings: Promise<unknown>) =>
      settings.then(
        () => undefined,
        (error: unknown) => error,
      );

    // Act
    const fromFile = await readSettings(file);
    const fromStdin = await readSettings('-', async () => '{"source":{"type":"s3","bucket":"b"}}');
    const missing = await refusal(readSettings(join(dir, 'nope.json')));
    const notJson = await refusal(readSettings('-', async () => 'source: rest'));
    const array = await refusal(readSettings('-', async () => '[]'));

    // Assess
    expect(fromFile).toEqual({ source: { type: 'rest', url: 'http://h/x' } });
    expect(fromStdin).toEqual({ source: { type: 's3', bucket: 'b' } });
    expect(missing).toMatchObject({
      exitCode: EXIT.USAGE,
      message: /cannot read .*nope\.json/,
    });
    expect(notJson).toMatchObject({ exitCode: EXIT.USAGE, message: /stdin is not JSON/ });
    expect(array).toMatchObject({ exitCode: EXIT.USAGE, message: /must hold a JSON object/ });
  });

  it('waits for a run through 404s and server blips until it ends, and gives up at the timeout', async () => {
    // Prepare
    const answers: Array<ConnectorRunRecord | Error> = [
      new ApiError(404, 'NotFoundError', 'not yet', {}),
      new ApiError(503, 'HTTP503', 'unavailable', {}),
      runRecord({ status: 'RUNNING' }),
      runRecord({ status: 'FAILED' }),
    ];
    let calls = 0;
    const api = {
      getConnectorRun: async () => {
        const answer = answers[Math.min(calls++, answers.length - 1)];
        if (answer instanceof Error) throw answer;
        return answer as ConnectorRunRecord;
      },
    };
    const stuck = { getConnectorRun: async () => runRecord({ status: 'RUNNING' }) };
    const refused = {
      getConnectorRun: async (): Promise<ConnectorRunRecord> => {
        throw new ApiError(403, 'HTTP403', 'Forbidden', {});
      },
    };

    // Act
    const ended = await waitForConnectorRun(api, 'orders', 'r', { timeoutMs: 5_000, pollMs: 1 });
    const timedOut = await waitForConnectorRun(stuck, 'orders', 'r', { timeoutMs: 20, pollMs: 5 });

    // Assess
    expect(ended).toMatchObject({ finished: true, run: { status: 'FAILED' } });
    expect(calls).toBe(4);
    expect(timedOut).toMatchObject({ finished: false, run: { status: 'RUNNING' } });
    await expect(waitForConnectorRun(refused, 'orders', 'r', { timeoutMs: 1_000 })).rejects.toThrow(
      'Forbidden',
    );
  });
});

describe('ingest', () => {
  it('counts progress as the upload plus the stages that succeeded', () => {
    expect(runProgress(undefined)).toEqual({ value: 1, phase: 'queued' });
    const run = {
      currentStage: 'validate',
      stages: [
        { stage: 'register', status: 'SUCCEEDED' },
        { stage: 'parse', status: 'SUCCEEDED' },
        { stage: 'validate', status: 'RUNNING' },
      ],
    } as RunView;
    expect(runProgress(run)).toEqual({ value: 3, phase: 'validate' });
  });
});

describe('the command line', () => {
  function io(env: NodeJS.ProcessEnv = {}) {
    const out = { stdout: '', stderr: '' };
    const value: Io = {
      stdout: (t) => {
        out.stdout += t;
      },
      stderr: (t) => {
        out.stderr += t;
      },
      env: { STRATA_STATE_DIR: scratch('state-'), ...env },
    };
    return { io: value, out };
  }

  it('prints the exit codes and the configuration in --help', async () => {
    const { io: i, out } = io();
    expect(await run(['--help'], i)).toBe(EXIT.OK);
    expect(out.stdout).toContain('STRATA_API_URL');
    expect(out.stdout).toMatch(/Exit codes:[\s\S]*130 {2}interrupted/);
  });

  it('exits 2 without an API to talk to', async () => {
    const { io: i, out } = io();
    expect(await run(['datasets'], i)).toBe(EXIT.USAGE);
    expect(out.stderr).toMatch(/no API configured: set STRATA_API_URL and STRATA_API_KEY/);
  });

  it.each([
    [['bogus']],
    [['datasets', '--limit', '0']],
    [['ingest', 'a.csv']],
    [['features']],
    [['cleanup', '--apply', '--dry-run']],
    [['connector']],
    [['connector', 'set', 'orders']],
    [['connector', 'run', 'orders', '--timeout', '0']],
    [['connector', 'runs', 'orders', '--limit', 'x']],
  ])('exits 2 on bad usage: %j', async (argv) => {
    const { io: i } = io({ STRATA_API_URL: 'http://127.0.0.1:9', STRATA_API_KEY: 'k' });
    expect(await run(argv, i)).toBe(EXIT.USAGE);
  });

  it("gives a command's own --version to the command, not to strata --version", async () => {
    // Port 9 is one fetch refuses at once: the command ran (exit 4) instead of printing the version.
    const { io: i, out } = io({ STRATA_API_URL: 'http://127.0.0.1:9', STRATA_API_KEY: 'k' });
    expect(await run(['drift', 'sales', '--version', '2'], i)).toBe(EXIT.SERVER);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/cannot reach the API/);
  });

  it('reads connector settings from stdin before it talks to the API', async () => {
    // Prepare: port 9 refuses at once, so reaching the API ends in exit 4.
    const { io: i, out } = io({ STRATA_API_URL: 'http://127.0.0.1:9', STRATA_API_KEY: 'k' });
    const bad: Io = { ...i, readStdin: async () => 'not json' };
    const good: Io = { ...i, readStdin: async () => '{"source":{"type":"s3","bucket":"b"}}' };

    // Act
    const badCode = await run(['connector', 'set', 'orders', '--file', '-'], bad);
    const goodCode = await run(['connector', 'set', 'orders', '-f', '-'], good);

    // Assess
    expect(badCode).toBe(EXIT.USAGE);
    expect(goodCode).toBe(EXIT.SERVER);
    expect(out.stderr).toMatch(/strata: stdin is not JSON/);
    expect(out.stderr).toMatch(/cannot reach the API/);
  });

  it('exits 1 when down finds no local cloud', async () => {
    const { io: i, out } = io();
    expect(await run(['down'], i)).toBe(EXIT.NEGATIVE);
    expect(out.stderr).toMatch(/no local cloud is running/);
  });
});
