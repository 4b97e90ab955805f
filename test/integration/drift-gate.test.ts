import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, cloudContext, executionArnFor, newTenant, waitForExecution } from '../support/cloud.js';
import { normal, random } from '../support/random.js';

const ctx = cloudContext();
let tenant: string;
let apiKey: string;

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'drift'));
});

interface Batch {
  seed: number;
  rows?: number;
  /** Temperature mean shift, in standard deviations. */
  shift?: number;
  sites?: readonly string[];
  /** Share of pressure readings left empty. */
  missing?: number;
}

/** Sensor readings: a timestamp, two normal measurements and a site category. */
function sensorCsv({ seed, rows = 2000, shift = 0, sites = ['north', 'south', 'east'], missing = 0 }: Batch) {
  const z = normal(seed);
  const u = random(seed + 7);
  const lines = ['ts,temperature,pressure,site'];
  const start = Date.UTC(2026, 10, 1) + seed * 86_400_000;
  for (let i = 0; i < rows; i++) {
    const ts = new Date(start + i * 60_000).toISOString();
    const temperature = (20 + 3 * (z() + shift)).toFixed(4);
    const pressure = u() < missing ? '' : (1013 + 5 * z()).toFixed(3);
    lines.push(`${ts},${temperature},${pressure},${sites[Math.floor(u() * sites.length)]}`);
  }
  return `${lines.join('\n')}\n`;
}

async function ingest(dataset: string, name: string, body: string) {
  const key = `fresh/${tenant}/${dataset}/${name}`;
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: ctx.info.dataBucket, Key: key, Body: body }));
  const execution = await waitForExecution(
    ctx.sfn,
    executionArnFor(ctx.info, { bucket: ctx.info.dataBucket, key, versionId: put.VersionId }),
    90_000,
  );
  expect(execution.status, execution.cause).toBe('SUCCEEDED');
  return JSON.parse(execution.output ?? '{}') as { status: string; version: number; promoted: boolean };
}

const settings = (dataset: string, body: unknown) =>
  api(ctx.info, `/datasets/${dataset}/drift-settings`, {
    apiKey,
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('the drift gate', () => {
  it('holds a drifting version, serves its reports, and promotes it on a reason', async () => {
    // Prepare: gate at MODERATE, a first version and a second from the same distribution.
    expect((await settings('sensors', { drift_gate: 'MODERATE' })).status).toBe(200);
    const first = await ingest('sensors', 'day-1.csv', sensorCsv({ seed: 1 }));
    const second = await ingest('sensors', 'day-2.csv', sensorCsv({ seed: 2 }));

    // Act: a file whose temperature moved by 1.5 standard deviations.
    const third = await ingest('sensors', 'day-3.csv', sensorCsv({ seed: 3, shift: 1.5 }));

    // Assess: written, held, not current; the reports say why.
    expect(first).toMatchObject({ status: 'VERSIONED', version: 1, promoted: true });
    expect(second).toMatchObject({ status: 'VERSIONED', version: 2, promoted: true });
    expect(third).toMatchObject({ status: 'HELD', version: 3, promoted: false });
    const dataset = await api(ctx.info, '/datasets/sensors', { apiKey });
    expect(dataset.body?.currentVersion).toBe(2);
    const held = await api(ctx.info, '/datasets/sensors/versions/3', { apiKey });
    expect(held.body).toMatchObject({ status: 'HELD', drift: { referenceVersion: 2 } });
    expect(held.body).toHaveProperty('hold.reasons.0');
    expect(String((held.body as { hold: { reasons: string[] } }).hold.reasons[0])).toMatch(
      /drift severity (HIGH|CRITICAL)/,
    );

    const drift = await api(ctx.info, '/datasets/sensors/versions/3/drift', { apiKey });
    expect(drift.status).toBe(200);
    const report = drift.body?.report as {
      severity: string;
      reference: { version: number; rows: number; table: Record<string, unknown> };
      columns: Array<{ column: string; severity: string; kind: string }>;
    };
    expect(['HIGH', 'CRITICAL']).toContain(report.severity);
    expect(report.reference.version).toBe(2);
    // The reference is the table at version 2's Delta version: both files' rows, not version 2's file alone.
    expect(report.reference.rows).toBe(4000);
    expect(report.reference.table).toMatchObject({
      uri: `s3://${ctx.info.dataBucket}/tables/${tenant}/sensors`,
      deltaVersion: 1,
      rowsTotal: 4000,
      rowsRead: 4000,
      filesTotal: 2,
      filesRead: 2,
      sampled: false,
    });
    expect(report.columns[0]).toMatchObject({ column: 'temperature', kind: 'numeric' });
    expect(report.columns.find((c) => c.column === 'pressure')?.severity).toMatch(/NONE|LOW/);
    expect(report.columns.find((c) => c.column === 'ts')?.kind).toBe('skipped');

    const calm = await api(ctx.info, '/datasets/sensors/versions/2/drift', { apiKey });
    expect(calm.body).toHaveProperty('report.severity');
    expect((calm.body as { report: { severity: string } }).report.severity).toMatch(/NONE|LOW/);

    const html = await fetch(`${ctx.info.apiUrl}/datasets/sensors/versions/3/drift.html`, {
      headers: { 'x-api-key': apiKey },
    });
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await html.text();
    expect(page).toContain('<svg');
    expect(page).toContain('temperature');

    const quality = await api(ctx.info, '/datasets/sensors/versions/3/quality', { apiKey });
    expect(quality.body).toHaveProperty('report.status');
    expect((quality.body as { report: { status: string } }).report.status).toMatch(/EXCELLENT|GOOD/);

    // Act: promotion needs a reason, then makes the version current with the reason recorded.
    const refused = await api(ctx.info, '/datasets/sensors/versions/3/promote', {
      apiKey,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({}),
    });
    const promoted = await api(ctx.info, '/datasets/sensors/versions/3/promote', {
      apiKey,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'new sensor calibration, confirmed with the site team' }),
    });

    // Assess
    expect(refused.status).toBe(400);
    expect(promoted.status).toBe(200);
    const after = await api(ctx.info, '/datasets/sensors/versions/3', { apiKey });
    expect(after.body).toMatchObject({
      status: 'READY',
      promotion: { reason: 'new sensor calibration, confirmed with the site team', previousCurrent: 2 },
    });
    expect((await api(ctx.info, '/datasets/sensors', { apiKey })).body?.currentVersion).toBe(3);

    // Act + Assess: the promoted version is the reference now, as the whole table at its Delta version:
    // two files at the old level and one shifted, so another shifted file still drifts from it.
    const fourth = await ingest('sensors', 'day-4.csv', sensorCsv({ seed: 4, shift: 1.5 }));
    expect(fourth).toMatchObject({ status: 'HELD', version: 4, promoted: false });
    const fourthDrift = await api(ctx.info, '/datasets/sensors/versions/4/drift', { apiKey });
    // Promotion committed version 3's file: the table at Delta version 2 holds all three files.
    expect(fourthDrift.body?.report).toMatchObject({
      reference: {
        version: 3,
        pinned: false,
        rows: 6000,
        table: { deltaVersion: 2, filesTotal: 3, rowsTotal: 6000, sampled: false },
      },
    });
  });

  it('flags a new category and compares with a pinned reference version', async () => {
    // Prepare
    await ingest('plants', 'a.csv', sensorCsv({ seed: 11 }));
    await ingest('plants', 'b.csv', sensorCsv({ seed: 12 }));
    const pinned = await settings('plants', { reference_version: 1 });
    const missingReference = await settings('plants', { reference_version: 99 });

    // Act
    const third = await ingest(
      'plants',
      'c.csv',
      sensorCsv({ seed: 13, sites: ['north', 'south', 'east', 'west'] }),
    );

    // Assess
    expect(pinned.status).toBe(200);
    expect(missingReference.status).toBe(400);
    expect(third).toMatchObject({ status: 'VERSIONED', version: 3 });
    const drift = await api(ctx.info, '/datasets/plants/versions/3/drift', { apiKey });
    const report = drift.body?.report as {
      reference: { version: number; pinned: boolean };
      columns: Array<{ column: string; newCategories?: string[]; severity: string }>;
      recommendations: Array<{ code: string }>;
    };
    // Pinned to version 1: the table at its Delta version (0), one file, though the table has two now.
    expect(report.reference).toMatchObject({
      version: 1,
      pinned: true,
      rows: 2000,
      table: { deltaVersion: 0, filesTotal: 1, rowsTotal: 2000 },
    });
    const site = report.columns.find((c) => c.column === 'site');
    expect(site?.newCategories).toEqual(['west']);
    expect(site?.severity).not.toBe('NONE');
    expect(report.recommendations.map((r) => r.code)).toContain('UPDATE_ENCODERS');
  });

  it('holds a version below the quality gate and says which check failed', async () => {
    // Prepare
    expect((await settings('gauges', { quality_gate: 'GOOD' })).status).toBe(200);

    // Act: 60% of pressure readings missing.
    const result = await ingest('gauges', 'gappy.csv', sensorCsv({ seed: 21, missing: 0.6 }));

    // Assess
    expect(result).toMatchObject({ status: 'HELD', version: 1, promoted: false });
    const version = await api(ctx.info, '/datasets/gauges/versions/1', { apiKey });
    expect(version.body).toHaveProperty('hold.reasons');
    expect((version.body as { hold: { reasons: string[] } }).hold.reasons.join(' ')).toMatch(
      /quality status/,
    );
    const quality = await api(ctx.info, '/datasets/gauges/versions/1/quality', { apiKey });
    const report = quality.body?.report as { issues: Array<{ kind: string; column?: string }> };
    expect(report.issues[0]).toMatchObject({ kind: 'missing_values', column: 'pressure' });
    expect((await api(ctx.info, '/datasets/gauges', { apiKey })).body?.currentVersion).toBeUndefined();
  });

  it('refuses settings that are not valid and keeps the ones it had', async () => {
    // Prepare
    expect((await settings('valves', { drift_gate: 'MODERATE' })).status).toBe(200);

    // Act
    const badGate = await settings('valves', { drift_gate: 'SEVERE' });
    const badCuts = await settings('valves', {
      thresholds: { psi: { low: 0.3, moderate: 0.2, high: 0.4, critical: 1 } },
    });
    const current = await api(ctx.info, '/datasets/valves/drift-settings', { apiKey });

    // Assess
    expect(badGate.status).toBe(400);
    expect(badCuts.status).toBe(400);
    expect(current.body).toMatchObject({
      settings: { driftGate: 'MODERATE' },
      effectiveThresholds: { psi: { low: 0.1, moderate: 0.2, high: 0.25 } },
    });
  });
});
