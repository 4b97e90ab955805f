import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getVersionReport } from '../../shared/app/versions.js';
import {
  compareDatasets,
  createDriftCollector,
  DEFAULT_DRIFT_THRESHOLDS,
  type DriftReport,
  type NumericColumnDrift,
  noReferenceReport,
  SEVERITIES,
  type Severity,
} from '../../shared/domain/drift/index.js';
import {
  chiSquareHomogeneity,
  jensenShannon,
  ksTwoSample,
  mannWhitneyU,
  psi,
  quantileDeltas,
} from '../../shared/domain/drift/stats.js';
import type { QualityReport } from '../../shared/domain/quality/types.js';
import { batchFromRows, type CellValue, type TableSchema } from '../../shared/domain/table.js';
import type { VersionRecord } from '../../shared/domain/version.js';
import {
  escapeHtml,
  formatCount,
  formatNumber,
  formatPercent,
  formatPValue,
  formatSigned,
  type ReportMeta,
  renderDriftHtml,
  renderQualityHtml,
} from '../../shared/reports/html.js';

const META: ReportMeta = {
  tenant: 'acme',
  dataset: 'churn',
  version: 7,
  fileId: 'f_123',
  sourceKey: 'fresh/acme/churn/part-1.csv',
  createdAt: '2026-11-02T10:00:00.000Z',
};

const HOSTILE_COLUMN_NAME = '<script>alert(1)</script>';
const HOSTILE_CATEGORY_VALUE = '"><img src=x>';

/** Deterministic standard normals (LCG + Box–Muller), so the reports are the same on every run. */
function normals(n: number, seed: number, mean = 0, sd = 1): number[] {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  return Array.from(
    { length: n },
    () => mean + sd * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
  );
}

function equalWidthCounts(values: readonly number[], lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    const i = Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * bins)));
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts;
}

/** A numeric column's drift from the real statistics over a shifted normal; `severity` is set by hand. */
function numericColumn(column: string, severity: Severity, shift: number, seed: number): NumericColumnDrift {
  const reference = normals(400, seed);
  const current = normals(300, seed + 1, shift);
  const lo = Math.min(...reference, ...current);
  const hi = Math.max(...reference, ...current);
  const bins = 10;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  const refCounts = equalWidthCounts(reference, lo, hi, bins);
  const curCounts = equalWidthCounts(current, lo, hi, bins);
  const side = (values: number[]) => {
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
    return {
      rows: values.length,
      nulls: 0,
      nullFraction: 0,
      mean,
      std,
      min: Math.min(...values),
      max: Math.max(...values),
    };
  };
  const ref = side(reference);
  const cur = side(current);
  return {
    column,
    kind: 'numeric',
    type: 'float',
    severity,
    role: 'feature',
    reference: ref,
    current: cur,
    ks: ksTwoSample(reference, current),
    mannWhitney: { ...mannWhitneyU(current, reference), uOf: 'current' },
    psi: psi(refCounts, curCounts),
    jsDivergence: jensenShannon(refCounts, curCounts),
    meanShiftSd: (cur.mean - ref.mean) / ref.std,
    stdRatio: cur.std / ref.std,
    quantiles: quantileDeltas(reference, current),
    histogram: { edges, reference: refCounts, current: curCounts },
    sampled: false,
  };
}

/**
 * A hand-assembled report whose columns are deliberately not in severity order; `hostile` names a column
 * and a category with markup, as an uploaded file may.
 */
function handMadeReport(hostile = true): DriftReport {
  const shiftedColumn = hostile ? HOSTILE_COLUMN_NAME : 'shifted';
  const newCategory = hostile ? HOSTILE_CATEGORY_VALUE : 'c';
  const refCats = [120, 80, 0];
  const curCats = [60, 90, 25];
  const columns: DriftReport['columns'] = [
    numericColumn('calm', 'NONE', 0, 1),
    numericColumn(shiftedColumn, 'HIGH', 1.2, 3),
    {
      column: 'segment',
      kind: 'categorical',
      type: 'string',
      severity: 'CRITICAL',
      role: 'feature',
      reference: { rows: 200, nulls: 0, nullFraction: 0, distinct: 2 },
      current: { rows: 175, nulls: 0, nullFraction: 0, distinct: 3 },
      chiSquare: chiSquareHomogeneity(refCats, curCats),
      psi: psi(refCats, curCats),
      jsDivergence: jensenShannon(refCats, curCats),
      newCategories: [newCategory],
      newCategoryCount: 1,
      missingCategories: [],
      missingCategoryCount: 0,
      newCategoryFraction: 25 / 175,
      categories: [
        { value: 'a', reference: 120, current: 60 },
        { value: 'b', reference: 80, current: 90 },
        { value: newCategory, reference: 0, current: 25 },
      ],
      other: { reference: 0, current: 0 },
    },
    numericColumn('drifting', 'MODERATE', 0.6, 5),
    {
      column: hostile ? 'notes & <remarks>' : 'notes',
      kind: 'skipped',
      type: 'absent',
      severity: 'NONE',
      role: 'feature',
      reason: 'missing from the current file (reference type "string")',
    },
    numericColumn('slight', 'LOW', 0.3, 7),
  ];
  const severityCounts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const c of columns) severityCounts[c.severity]++;
  return {
    kind: 'drift',
    status: 'COMPARED',
    reference: { version: 6, pinned: true, rows: 400 },
    current: { rows: 300 },
    severity: 'CRITICAL',
    severityCounts,
    thresholds: DEFAULT_DRIFT_THRESHOLDS,
    columns,
    excludedColumns: [],
    driftTypes: [
      { type: 'covariate_shift', columns: [shiftedColumn], message: `${shiftedColumn} moved` },
      {
        type: 'schema_change',
        columns: [hostile ? 'notes & <remarks>' : 'notes'],
        message: 'a column is gone',
      },
    ],
    performance: {
      label: 'y',
      prediction: 'y_hat',
      metric: 'mae',
      reference: 1.5,
      current: 2.1,
      degradation: 0.4,
      degraded: true,
    },
    recommendations: [{ code: 'RETRAIN', columns: [shiftedColumn], message: `retrain: ${newCategory}` }],
  };
}

function qualityReport(column: string, message: string): QualityReport {
  return {
    kind: 'quality',
    rows: 1000,
    order: 'file',
    duplicates: { count: 3, fraction: 0.003 },
    columns: [
      {
        column,
        type: 'float',
        rows: 1000,
        missing: { count: 50, fraction: 0.05 },
        outliers: {
          zscore: { count: 2, fraction: 0.002, threshold: 3 },
          iqr: { count: 9, fraction: 0.009, lower: -3, upper: 3, k: 1.5 },
        },
        constantPeriods: { longestRun: 40, longestRunStart: 10, runs: 1, fractionInRuns: 0.04, minRun: 20 },
        noise: { sigma: 0.1, ratio: Number.NaN },
        distinct: 900,
        score: 70,
        status: 'FAIR',
      },
    ],
    issues: [{ kind: 'missing_values', column, severity: 'MAJOR', value: 0.05, penalty: 10, message }],
    score: 87,
    status: 'GOOD',
    recommendations: [{ code: 'IMPUTE_MISSING', column, message }],
  };
}

/** Severities of the column sections in document order. */
function sectionSeverities(html: string): Severity[] {
  return [...html.matchAll(/<section class="card column"[^>]*data-severity="([A-Z]+)"/g)].map(
    (m) => m[1] as Severity,
  );
}

describe('renderDriftHtml', () => {
  it('escapes hostile column names and category values in text and attributes', () => {
    // Prepare
    const report = handMadeReport();

    // Act
    const html = renderDriftHtml(report, { ...META, dataset: '<i>"ds"</i>' });

    // Assess
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<i>');
    expect(html).not.toContain('<remarks>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('data-column="&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(html).toContain('&quot;&gt;&lt;img src=x&gt;');
    expect(html).toContain('&lt;i&gt;&quot;ds&quot;&lt;/i&gt;');
    expect(html).toContain('notes &amp; &lt;remarks&gt;');
  });

  it('references nothing outside the document', () => {
    // Prepare: names without markup, so that "src=" could only come from the renderer itself.
    const report = handMadeReport(false);

    // Act
    const html = renderDriftHtml(report, META);

    // Assess
    for (const needle of ['http://', 'https://', 'src=', '<script', '<link', '<img', 'url(', '@import']) {
      expect(html).not.toContain(needle);
    }
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain("default-src 'none'");
  });

  it('orders column sections worst severity first', () => {
    // Prepare
    const report = handMadeReport();

    // Act
    const severities = sectionSeverities(renderDriftHtml(report, META));

    // Assess
    expect(severities).toEqual(['CRITICAL', 'HIGH', 'MODERATE', 'LOW', 'NONE']);
  });

  it('draws a histogram with both sides per numeric column and a bar chart per categorical one', () => {
    // Prepare
    const report = handMadeReport();

    // Act
    const html = renderDriftHtml(report, META);

    // Assess
    const histograms = html.match(/<svg class="chart histogram"/g) ?? [];
    expect(histograms).toHaveLength(4);
    expect(html.match(/<svg class="chart categories"/g) ?? []).toHaveLength(1);
    expect(html.match(/<rect class="bar reference"/g)?.length).toBe(4 * 10 + 3);
    expect(html.match(/<rect class="bar current"/g)?.length).toBe(4 * 10 + 3);
  });

  it('lists skipped columns with their reason and badges the overall severity', () => {
    // Act
    const html = renderDriftHtml(handMadeReport(), META);

    // Assess
    expect(html).toContain('missing from the current file (reference type &quot;string&quot;)');
    expect(html).toMatch(/class="badge severity sev-CRITICAL big">CRITICAL</);
    expect(html).toContain('v6 (pinned baseline)');
    expect(html).toContain('DEGRADED');
  });

  it('lists the columns excluded as identifiers with their evidence, escaped', () => {
    // Prepare
    const report = handMadeReport();
    report.excludedColumns = [
      {
        column: 'order_id',
        type: 'string',
        reason: 'identifier',
        source: 'inferred',
        detail: 'every value unique on both sides, and named like an identifier',
      },
      {
        column: HOSTILE_COLUMN_NAME,
        type: 'int',
        reason: 'identifier',
        source: 'settings',
        detail: 'named in the drift settings (identifier_columns)',
      },
    ];

    // Act
    const html = renderDriftHtml(report, META);

    // Assess
    const card = /<section class="card excluded">.*?<\/section>/.exec(html)?.[0] ?? '';
    expect(card).toContain('Excluded columns');
    expect(card).toContain('<tr data-column="order_id"><td>order_id</td><td>string</td><td>identifier</td>');
    expect(card).toContain('every value unique on both sides, and named like an identifier');
    expect(card).toContain('data-column="&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(card).toContain('identifier_columns');
    expect(card).not.toContain('<script');
    expect(sectionSeverities(html)).toHaveLength(5);
  });

  it('leaves the excluded-columns card out when nothing was excluded', () => {
    // Act
    const html = renderDriftHtml(handMadeReport(), META);

    // Assess
    expect(html).not.toContain('class="card excluded"');
  });

  it("says whose U the Mann–Whitney statistic is, the reference's in reports made before it said", () => {
    // Prepare: a stored report from before `uOf` holds the reference's U.
    const report = handMadeReport(false);
    const legacy = handMadeReport(false);
    for (const c of legacy.columns) if (c.kind === 'numeric') delete (c.mannWhitney as { uOf?: string }).uOf;

    // Act
    const html = renderDriftHtml(report, META);
    const legacyHtml = renderDriftHtml(legacy, META);

    // Assess
    expect(html).toContain('Mann–Whitney U <span class="muted">of the current file</span>');
    expect(html).not.toContain('of the reference</span>');
    expect(legacyHtml).toContain('Mann–Whitney U <span class="muted">of the reference</span>');
  });

  it('prints non-finite metrics as words', () => {
    // Prepare
    const report = handMadeReport();
    const column = report.columns.find((c): c is NumericColumnDrift => c.kind === 'numeric');
    if (column === undefined) throw new Error('fixture has a numeric column');
    column.meanShiftSd = Number.POSITIVE_INFINITY;
    column.stdRatio = Number.NaN;

    // Act
    const html = renderDriftHtml(report, META);

    // Assess
    expect(html).toContain('+∞σ');
    expect(html).toContain('>NaN<');
  });

  it('renders the first version of a dataset as "no reference"', () => {
    // Prepare
    const report = noReferenceReport(1234);

    // Act
    const html = renderDriftHtml(report, { ...META, version: 1 });

    // Assess
    expect(html).toContain('no reference: first version');
    expect(html).toContain('1,234');
    expect(sectionSeverities(html)).toEqual([]);
    expect(html).not.toContain('<svg');
    expect(html).toMatch(/sev-NONE big">NONE</);
  });

  it('keeps a 50-column report well under 1 MB', () => {
    // Prepare: 40 numeric and 10 categorical columns compared by the real comparison code.
    const schema: TableSchema = {
      columns: Array.from({ length: 50 }, (_, i) => ({
        name: `feature_${i}`,
        type: i < 40 ? ('float' as const) : ('string' as const),
        nullable: false,
      })),
    };
    const side = (n: number, shift: number, seed: number) => {
      const rows: Record<string, CellValue>[] = [];
      const values = normals(n * 50, seed, shift);
      for (let r = 0; r < n; r++) {
        const row: Record<string, CellValue> = {};
        for (let c = 0; c < 50; c++) {
          const v = values[r * 50 + c] ?? 0;
          row[`feature_${c}`] = c < 40 ? v : `category ${Math.floor(Math.abs(v) * 10)}`;
        }
        rows.push(row);
      }
      const collector = createDriftCollector(schema);
      collector.add(batchFromRows(schema, rows));
      return collector.result();
    };
    const report = compareDatasets(side(1500, 0, 11), side(1500, 0.3, 12), {
      reference: { version: 1, pinned: false },
    });

    // Act
    const html = renderDriftHtml(report, META);

    // Assess
    expect(html.match(/<svg class="chart histogram"/g) ?? []).toHaveLength(40);
    // About 10 kB per numeric column (a 20-bin chart with a tooltip per bin, three tables).
    expect(Buffer.byteLength(html, 'utf8')).toBeLessThan(640_000);
  });
});

describe('renderQualityHtml', () => {
  it('escapes column names and messages and badges the status', () => {
    // Prepare
    const report = qualityReport(HOSTILE_COLUMN_NAME, `${HOSTILE_CATEGORY_VALUE} is missing`);

    // Act
    const html = renderQualityHtml(report, META);

    // Assess
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('data-column="&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(html).toContain('&quot;&gt;&lt;img src=x&gt; is missing');
    expect(html).toMatch(/class="badge status q-GOOD big">GOOD</);
    expect(html).toMatch(/class="badge issue-severity i-MAJOR">MAJOR</);
    expect(html).toContain('file order');
  });

  it('references nothing outside the document', () => {
    // Act
    const html = renderQualityHtml(qualityReport('temperature', 'plain'), META);

    // Assess
    for (const needle of ['http://', 'https://', 'src=', '<script', '<img', 'url(']) {
      expect(html).not.toContain(needle);
    }
  });
});

describe("serving a version's HTML report", () => {
  /**
   * A held version 3 whose reports the drift and quality stages wrote before the version stage gave it a
   * number: the stored HTML says "not versioned", the stored JSON is the report itself.
   */
  function fixture() {
    const drift = handMadeReport(false);
    const quality = qualityReport('temperature', 'plain');
    const fileMeta: ReportMeta = {
      ...META,
      version: undefined,
      fileId: 'f_9',
      sourceKey: 'fresh/acme/churn/day-3.csv',
    };
    const record = {
      tenant: 'acme',
      dataset: 'churn',
      version: 3,
      status: 'HELD',
      sourceFileId: 'f_9',
      sourceKey: 'fresh/acme/churn/day-3.csv',
      createdAt: '2026-11-03T08:00:00.000Z',
      drift: {
        status: 'COMPARED',
        severity: 'CRITICAL',
        referenceVersion: 6,
        reportKey: 'reports/acme/churn/f_9/drift.json',
        htmlKey: 'reports/acme/churn/f_9/drift.html',
      },
      quality: {
        status: 'GOOD',
        score: 87,
        reportKey: 'reports/acme/churn/f_9/quality.json',
        htmlKey: 'reports/acme/churn/f_9/quality.html',
      },
    } as unknown as VersionRecord;
    const objects = new Map<string, unknown>([
      ['reports/acme/churn/f_9/drift.json', drift],
      ['reports/acme/churn/f_9/drift.html', renderDriftHtml(drift, fileMeta)],
      ['reports/acme/churn/f_9/quality.json', quality],
      ['reports/acme/churn/f_9/quality.html', renderQualityHtml(quality, fileMeta)],
    ]);
    const writes: string[] = [];
    const deps = {
      versions: { getVersion: async (_t: string, _d: string, v: number) => (v === 3 ? record : undefined) },
      store: {
        bucket: 'data',
        getJson: async (key: string) => objects.get(key),
        async *read(ref: { key: string }) {
          yield new TextEncoder().encode(String(objects.get(ref.key)));
        },
        putJson: async (key: string) => void writes.push(key),
        write: async (key: string) => void writes.push(key),
      },
    } as unknown as Parameters<typeof getVersionReport>[0];
    return { deps, objects, writes };
  }

  it('names the version in the drift report, though the stage wrote it before the version existed', async () => {
    // Prepare
    const { deps, objects, writes } = fixture();
    const stored = String(objects.get('reports/acme/churn/f_9/drift.html'));

    // Act
    const served = await getVersionReport(deps, 'acme', 'churn', 3, 'drift.html');

    // Assess: the page names v3, the file and source it came from; the stored bytes stay as written.
    expect(stored).toContain('not versioned');
    expect(served.kind).toBe('html');
    const html = served.kind === 'html' ? served.html : '';
    expect(html).toContain('<h1>Drift report · churn v3</h1>');
    expect(html).toContain('<dt>Version</dt><dd>v3</dd>');
    expect(html).not.toContain('not versioned');
    expect(html).toContain('fresh/acme/churn/day-3.csv');
    expect(html).toContain('file f_9');
    expect(html).toContain('v6 (pinned baseline)');
    expect(writes).toEqual([]);
    expect(String(objects.get('reports/acme/churn/f_9/drift.html'))).toBe(stored);
  });

  it('names the version in the quality report too', async () => {
    // Prepare
    const { deps } = fixture();

    // Act
    const served = await getVersionReport(deps, 'acme', 'churn', 3, 'quality.html');

    // Assess
    const html = served.kind === 'html' ? served.html : '';
    expect(html).toContain('<h1>Data quality report · churn v3</h1>');
    expect(html).not.toContain('not versioned');
  });
});

describe('escapeHtml', () => {
  it('leaves no markup character and decodes back to the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        // Act
        const escaped = escapeHtml(s);
        const decoded = escaped
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&quot;/g, '"')
          .replace(/&#39;/g, "'")
          .replace(/&amp;/g, '&');

        // Assess
        expect(escaped).not.toMatch(/[<>"']/);
        expect(decoded).toBe(s);
      }),
    );
  });
});

describe('number formatting', () => {
  it('rounds measurements to 4 significant digits and switches to exponents at the extremes', () => {
    // Act & Assess: each line is one input and the text a reader sees
    expect(formatNumber(1234.5678)).toBe('1235');
    expect(formatNumber(0.123456)).toBe('0.1235');
    expect(formatNumber(1.5)).toBe('1.5');
    expect(formatNumber(-2)).toBe('−2');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(123456.7)).toBe('123,457');
    expect(formatNumber(0.000123456)).toBe('1.235e-4');
    expect(formatNumber(2.5e12)).toBe('2.5e12');
  });

  it('prints NaN and infinities as text', () => {
    // Act & Assess: each line is one input and the text a reader sees
    expect(formatNumber(Number.NaN)).toBe('NaN');
    expect(formatNumber(Number.POSITIVE_INFINITY)).toBe('∞');
    expect(formatNumber(Number.NEGATIVE_INFINITY)).toBe('−∞');
    expect(formatPValue(Number.NaN)).toBe('NaN');
    expect(formatPercent(Number.NaN)).toBe('NaN');
  });

  it('shows p-values below 1e-3 in exponent form and an underflowed 0 as a bound', () => {
    // Act & Assess: each line is one input and the text a reader sees
    expect(formatPValue(0.0123)).toBe('0.0123');
    expect(formatPValue(0.5)).toBe('0.5');
    expect(formatPValue(1)).toBe('1');
    expect(formatPValue(0.00099)).toBe('9.9e-4');
    expect(formatPValue(1.234e-12)).toBe('1.23e-12');
    expect(formatPValue(0)).toBe('< 1e-300');
  });

  it('groups counts, signs deltas and keeps small shares visible', () => {
    // Act & Assess: each line is one input and the text a reader sees
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatSigned(0.5)).toBe('+0.5');
    expect(formatSigned(-0.5)).toBe('−0.5');
    expect(formatPercent(0.1234)).toBe('12.3%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0.00001)).toBe('< 0.01%');
    expect(formatPercent(0)).toBe('0%');
  });
});
