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
  driftRows,
  formatBytes,
  formatCleanup,
  formatDrift,
  formatIngest,
  formatNumber,
  formatVersions,
} from '../../shared/cli/format.js';
import {
  bucketFromPresignedUrl,
  exitCodeForOutcome,
  type IngestResult,
  runProgress,
} from '../../shared/cli/ingest.js';
import { type Io, openerFor, parseSince, run, severityArg } from '../../shared/cli/program.js';
import { ApiError } from '../../shared/client/http.js';
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

describe('ingest', () => {
  it('finds the bucket in path-style and virtual-hosted presigned URLs', () => {
    const key = 'fresh/t1/sales/jan 2026.csv';
    expect(
      bucketFromPresignedUrl(
        `http://127.0.0.1:9400/data-bucket/fresh/t1/sales/jan%202026.csv?X-Amz-Signature=1`,
        key,
      ),
    ).toBe('data-bucket');
    expect(
      bucketFromPresignedUrl(
        `https://strata-data-1.s3.eu-west-1.amazonaws.com/fresh/t1/sales/jan%202026.csv?x=1`,
        key,
      ),
    ).toBe('strata-data-1');
    expect(() => bucketFromPresignedUrl('https://example.com/elsewhere.csv', key)).toThrow(
      /cannot tell the bucket/,
    );
  });

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

  it('exits 1 when down finds no local cloud', async () => {
    const { io: i, out } = io();
    expect(await run(['down'], i)).toBe(EXIT.NEGATIVE);
    expect(out.stderr).toMatch(/no local cloud is running/);
  });
});
