/**
 * The in-process validator against the pipeline's stages: the same rows, taken the way an upload takes
 * them (the SDK's Parquet, read by the parse stage, staged with strata's writer, read back by the stages),
 * then fed to the domain functions exactly as validate.ts, profile.ts, quality.ts and drift.ts call them.
 * The validator must answer the same reports.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toArrowTable } from '../../shared/client/arrow.js';
import { encodeParquet } from '../../shared/client/parquet.js';
import { createDataValidator } from '../../shared/client/validator.js';
import type { DriftSettings } from '../../shared/domain/dataset.js';
import {
  compareDatasets,
  createDriftCollector,
  type DriftCollectorOptions,
  resolveThresholds,
} from '../../shared/domain/drift/index.js';
import { applyFeatureSpec } from '../../shared/domain/features/spec.js';
import { createProfiler } from '../../shared/domain/profile/index.js';
import { createQualityAssessor } from '../../shared/domain/quality/index.js';
import type { RecordBatch } from '../../shared/domain/table.js';
import {
  convertGreatExpectationsSuite,
  createValidator,
  type GreatExpectationsSuite,
  greatExpectationsSuiteSchema,
  suiteFromSchema,
  type ValidationSuiteInput,
  validationSuiteSchema,
} from '../../shared/domain/validation/index.js';
import { numericRanges, openParquet, type ParquetFile, writeParquet } from '../../shared/formats/parquet.js';

const NOW = new Date('2026-03-01T00:00:00Z');
const DAY = 86_400_000;

function orders(n: number, shift = 0) {
  return Array.from({ length: n }, (_, i) => ({
    order_id: i + 1,
    customer: `c${(i * 7) % 40}`,
    amount: Math.round((20 + ((i * 37) % 200) + shift) * 100) / 100,
    status: ['placed', 'shipped', 'delivered'][i % 3] ?? 'placed',
    email: i % 17 === 0 ? null : `user${i}@example.com`,
    ordered_at: new Date(Date.UTC(2026, 1, 1) + (i % 27) * DAY + i * 1000),
    returned: i % 11 === 0,
  }));
}

type Rows = ReturnType<typeof orders>;

/**
 * The staged file the stages read: the SDK's Parquet of the rows (what `ingestData` uploads), its row
 * groups written again by strata's writer (the parse stage's staging, which with no dataset config passes
 * the upload's schema and values through), opened by the stages' reader.
 */
async function staged(rows: Rows): Promise<ParquetFile> {
  // A copy: the codec's bytes may be a view its next call reuses.
  const uploaded = encodeParquet(toArrowTable(rows)).slice();
  const upload = await openParquet({ size: uploaded.length, read: async (s, e) => uploaded.subarray(s, e) });
  const chunks: Uint8Array[] = [];
  await writeParquet(upload.schema, upload.readRowGroups(), async (chunk) => {
    chunks.push(chunk.slice());
  });
  const bytes = new Uint8Array(Buffer.concat(chunks));
  return openParquet({ size: bytes.length, read: async (s, e) => bytes.subarray(s, e) });
}

async function all(file: ParquetFile): Promise<RecordBatch[]> {
  const batches: RecordBatch[] = [];
  for await (const batch of file.readRowGroups()) batches.push(batch);
  return batches;
}

const SUITE: ValidationSuiteInput = {
  checks: [
    { type: 'required_columns', columns: ['order_id', 'amount'] },
    { type: 'uniqueness', columns: ['order_id'] },
    { type: 'range', column: 'amount', min: 0, max: 1000 },
    { type: 'allowed_values', column: 'status', values: ['placed', 'shipped', 'delivered'] },
    { type: 'completeness', column: 'email', maxNullFraction: 0.1 },
    { type: 'freshness', column: 'ordered_at', maxAgeSeconds: 60 * DAY },
    { type: 'distribution', column: 'amount', mean: { min: 50, max: 200 }, median: { min: 50 } },
  ],
};

describe('createDataValidator with a suite: the stages’ reports, in process', () => {
  it('validate gives the validate stage’s report for the same rows, and catches a known bad row', async () => {
    // Prepare
    const rows = orders(300);
    const bad = rows.map((r, i) => (i === 42 ? { ...r, amount: -5, status: 'lost' } : r));
    const validator = await createDataValidator({ suite: SUITE, now: () => NOW });
    const stage = async (data: Rows) => {
      const file = await staged(data);
      const v = createValidator(validationSuiteSchema.parse(SUITE), file.schema, { now: NOW });
      for await (const batch of file.readRowGroups()) v.add(batch);
      return v.report();
    };

    // Act
    const local = validator.validate(rows);
    const localBad = validator.validate(bad);

    // Assess
    expect(local).toEqual(await stage(rows));
    expect(localBad).toEqual(await stage(bad));
    expect(local.status).toBe('PASSED');
    expect(localBad.status).toBe('FAILED');
    expect(localBad.checks.filter((c) => !c.passed).map((c) => [c.name, c.failedRows, c.samples])).toEqual([
      ['range(amount)', 1, [-5]],
      ['allowed_values(status)', 1, ['lost']],
    ]);
  });

  it('without a suite, validate infers one from the data’s schema, as the stage does for a first file', async () => {
    // Prepare
    const rows = orders(50);
    const validator = await createDataValidator({
      dataset: 'x',
      apiUrl: 'http://unused',
      apiKey: 'k',
      fetch: noSuite,
    });
    const file = await staged(rows);
    const v = createValidator(suiteFromSchema(file.schema), file.schema, { now: NOW });
    for (const batch of await all(file)) v.add(batch);

    // Act
    const local = validator.validate(rows);

    // Assess
    expect(validator.suite).toBeUndefined();
    expect(local).toEqual(v.report());
  });

  it('assessQuality profiles the data and assesses it as the profile and quality stages do', async () => {
    // Prepare
    const rows = orders(400);
    const settings: DriftSettings = { timeColumn: 'ordered_at' };
    const validator = await createDataValidator({ suite: SUITE, driftSettings: settings });
    const file = await staged(rows);
    const profiler = createProfiler(file.schema, { ranges: numericRanges(file.schema, file.rowGroups) });
    for (const batch of await all(file)) profiler.add(batch);
    const profile = profiler.result();
    const assessor = createQualityAssessor(file.schema, profile, { timeColumn: 'ordered_at' });
    for (const batch of await all(file)) assessor.add(batch);

    // Act
    const localProfile = validator.profile(rows);
    const local = validator.assessQuality(rows);

    // Assess
    expect(localProfile).toEqual(profile);
    expect(local).toEqual(assessor.result());
  });

  it('detectDrift compares two data sets as the drift stage compares a file with its reference', async () => {
    // Prepare
    const reference = orders(500);
    const current = orders(500, 80);
    const settings: DriftSettings = { timeColumn: 'ordered_at', identifierColumns: ['order_id'] };
    const validator = await createDataValidator({ suite: SUITE });
    const options: DriftCollectorOptions = { timeColumn: 'ordered_at' };
    const side = async (rows: Rows) => {
      const file = await staged(rows);
      const collector = createDriftCollector(file.schema, options);
      for await (const batch of file.readRowGroups({ columns: collector.columns })) collector.add(batch);
      return collector.result();
    };
    const stage = compareDatasets(await side(reference), await side(current), {
      ...options,
      identifierColumns: ['order_id'],
      inferIdentifiers: undefined,
      thresholds: resolveThresholds(undefined),
      reference: { version: 0, pinned: false },
    });

    // Act
    const local = validator.detectDrift(reference, current, settings);

    // Assess
    expect(local).toEqual(stage);
    expect(local.status).toBe('COMPARED');
    expect(local.columns.find((c) => c.column === 'amount')?.severity).not.toBe('NONE');
  });
});

describe('createDataValidator with a Great Expectations suite', () => {
  it('converts it as the API does and lists what it left out', async () => {
    // Prepare
    const ge = JSON.parse(
      readFileSync(new URL('../../events/great-expectations/orders-suite.json', import.meta.url), 'utf8'),
    ) as GreatExpectationsSuite;

    // Act
    const validator = await createDataValidator({ suite: ge });

    // Assess
    const expected = convertGreatExpectationsSuite(greatExpectationsSuiteSchema.parse(ge));
    expect(validator.suite).toEqual(expected.suite);
    expect(validator.unsupported).toEqual(expected.unsupported);
    expect(validator.unsupported.length).toBeGreaterThan(0);
  });

  it('refuses a malformed suite with the field that is wrong', async () => {
    await expect(
      createDataValidator({ suite: { checks: [{ type: 'range', column: 'a' }] } }),
    ).rejects.toThrow(/checks\.0\.min: a range needs min, max or both/);
  });
});

describe('engineerFeatures', () => {
  it('runs the feature spec of the feature store over the data, naming the columns it added', async () => {
    // Prepare
    const rows = orders(60);
    const spec = {
      entityKeys: ['customer'],
      timestampColumn: 'ordered_at',
      transforms: [
        { kind: 'lag' as const, column: 'amount', lags: [1] },
        { kind: 'rolling' as const, column: 'amount', windows: [3], stats: ['mean' as const] },
      ],
    };
    const validator = await createDataValidator({ suite: { checks: [] } });
    const file = await staged(rows);
    const [batch] = await all(file);
    if (!batch) throw new Error('no batch');

    // Act
    const local = validator.engineerFeatures(rows, spec);
    const arrow = validator.engineerFeatures(rows, spec, { as: 'arrow' });

    // Assess
    const direct = applyFeatureSpec(batch, spec);
    expect(local.features).toEqual(['amount_lag_1', 'amount_rolling_mean_3']);
    expect(local.schema).toEqual(direct.schema);
    expect(local.columns.amount_lag_1).toEqual(
      direct.columns[direct.schema.columns.findIndex((c) => c.name === 'amount_lag_1')],
    );
    expect(arrow.numRows).toBe(60);
    expect(arrow.getChild('amount_rolling_mean_3')?.toArray()).toHaveLength(60);
  });
});

/** An API that knows the dataset but has no suite or drift settings for it. */
const noSuite: typeof fetch = async () =>
  new Response(JSON.stringify({ dataset: 'x', config: {}, versionCount: 0 }), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
