/**
 * The HTML reports as a reader sees them: rendered by headless Chromium with JavaScript disabled, from a
 * drift report the real comparison code made of generated data. Full-page screenshots land in
 * .strata/reports/ for a person to look at.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { STATE_DIR } from '../../infra/local/paths.js';
import { CHROMIUM_ARGS } from '../../infra/local/servers/chromium.js';
import { compareDatasets, createDriftCollector, type DriftReport } from '../../shared/domain/drift/index.js';
import { createProfiler } from '../../shared/domain/profile/index.js';
import { createQualityAssessor, type QualityReport } from '../../shared/domain/quality/index.js';
import { batchFromRows, type CellValue, type TableSchema } from '../../shared/domain/table.js';
import {
  ISSUE_SEVERITY_COLORS,
  QUALITY_STATUS_COLORS,
  type ReportMeta,
  renderDriftHtml,
  renderQualityHtml,
  SEVERITY_COLORS,
} from '../../shared/reports/html.js';

const SCREENSHOT_DIR = join(STATE_DIR, 'reports');

/*
 * The page-side functions the evaluate callbacks call. The project compiles without the DOM library
 * (it is Node code), so they are declared here, for this module only, instead of adding DOM globals to
 * every file.
 */
declare const getComputedStyle: (element: unknown) => { backgroundColor: string };
interface SvgGraphics {
  getBBox(): { height: number };
}

/** Deterministic uniform numbers (LCG), so every run draws the same data and the same report. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
}

function generators(seed: number) {
  const uniform = random(seed);
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const pick = <T>(values: readonly T[], weights: readonly number[]): T => {
    let u = uniform() * weights.reduce((s, w) => s + w, 0);
    for (let i = 0; i < values.length; i++) {
      u -= weights[i] ?? 0;
      if (u <= 0) return values[i] as T;
    }
    return values[values.length - 1] as T;
  };
  return { uniform, normal, pick };
}

const NUMERIC = ['age', 'income', 'session_minutes', 'temperature', '<b>score</b>'];

const REFERENCE_SCHEMA: TableSchema = {
  columns: [
    ...NUMERIC.map((name) => ({ name, type: 'float' as const, nullable: true })),
    { name: 'region', type: 'string', nullable: false },
    { name: 'device', type: 'string', nullable: false },
    { name: 'legacy_flag', type: 'bool', nullable: false },
    { name: 'label', type: 'string', nullable: false },
    { name: 'prediction', type: 'string', nullable: false },
  ],
};

/** The new file dropped a column and added one: the report lists both as skipped. */
const CURRENT_SCHEMA: TableSchema = {
  columns: [
    ...REFERENCE_SCHEMA.columns.filter((c) => c.name !== 'legacy_flag'),
    { name: 'session_id', type: 'string', nullable: false },
  ],
};

/**
 * A churn-model file: on the current side age moves up by half a σ, income spreads out, temperature
 * loses values, a region appears and the model's accuracy drops; `<b>score</b>` stays put.
 */
function churnRows(n: number, current: boolean, seed: number): Record<string, CellValue>[] {
  const { uniform, normal, pick } = generators(seed);
  const rows: Record<string, CellValue>[] = [];
  for (let i = 0; i < n; i++) {
    const label = pick(['churn', 'stay'], current ? [0.3, 0.7] : [0.2, 0.8]);
    const regions = ['north', 'south', 'east', 'west', '"><img src=x>', 'antarctica'];
    rows.push({
      age: 40 + 12 * normal() + (current ? 6 : 0),
      income: Math.exp(10.5 + (current ? 0.6 : 0.4) * normal()),
      session_minutes: 12 + 4 * normal() + (current ? 1.5 : 0),
      temperature: uniform() < (current ? 0.08 : 0.01) ? null : 20 + 3 * normal(),
      '<b>score</b>': uniform(),
      region: pick(regions, current ? [30, 25, 20, 15, 5, 5] : [30, 25, 25, 15, 5, 0]),
      device: pick(['ios', 'android', 'web'], [40, 45, 15]),
      legacy_flag: uniform() < 0.5,
      label,
      prediction: uniform() < (current ? 0.72 : 0.9) ? label : label === 'churn' ? 'stay' : 'churn',
      session_id: `s-${i}`,
    });
  }
  return rows;
}

function driftReport(): DriftReport {
  const roles = { labelColumn: 'label', predictionColumn: 'prediction' };
  const reference = createDriftCollector(REFERENCE_SCHEMA, roles);
  reference.add(batchFromRows(REFERENCE_SCHEMA, churnRows(5_000, false, 1)));
  const current = createDriftCollector(CURRENT_SCHEMA, roles);
  current.add(batchFromRows(CURRENT_SCHEMA, churnRows(4_000, true, 2)));
  return compareDatasets(reference.result(), current.result(), {
    ...roles,
    reference: { version: 3, pinned: false },
  });
}

const SENSOR_SCHEMA: TableSchema = {
  columns: [
    { name: 'ts', type: 'timestamp', nullable: false },
    { name: 'temperature', type: 'float', nullable: true },
    { name: 'humidity', type: 'float', nullable: true },
    { name: 'pressure', type: 'float', nullable: false },
    { name: 'site <north>', type: 'string', nullable: false },
  ],
};

/**
 * A year of hourly sensor readings with the usual faults, assessed by the real profiler and quality
 * assessor: temperature misses 8% and sticks at one value for ten days, pressure never changes,
 * humidity is white noise, and 42 rows were delivered twice.
 */
function qualityReport(): QualityReport {
  const { uniform, normal } = generators(3);
  const start = Date.UTC(2026, 0, 1);
  const rows: Record<string, CellValue>[] = [];
  for (let i = 0; i < 8_760; i++) {
    const stuck = i >= 2_000 && i < 2_240;
    const spike = uniform() < 0.005 ? 25 : 0;
    rows.push({
      ts: start + i * 3_600_000,
      temperature: stuck
        ? 21.5
        : uniform() < 0.08
          ? null
          : 20 + 5 * Math.sin(i / 100) + 0.4 * normal() + spike,
      humidity: uniform() < 0.002 ? null : 60 + 10 * normal(),
      pressure: 1013,
      'site <north>': ['a', 'b', 'c'][Math.floor(i / 1_000) % 3] ?? 'a',
    });
  }
  rows.push(...rows.slice(10, 52).map((r) => ({ ...r })));
  const batch = batchFromRows(SENSOR_SCHEMA, rows);
  const profiler = createProfiler(SENSOR_SCHEMA);
  profiler.add(batch);
  const assessor = createQualityAssessor(SENSOR_SCHEMA, profiler.result());
  assessor.add(batch);
  return assessor.result();
}

const META: ReportMeta = {
  tenant: 'demo',
  dataset: 'churn',
  version: 4,
  fileId: 'f_7c1e9a',
  sourceKey: 'fresh/demo/churn/2026-11-02.csv',
  createdAt: '2026-11-02T10:00:00.000Z',
};

function rgb(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}

interface Rendered {
  page: Page;
  /** Console errors, page errors and every network request the page made: all should stay empty. */
  problems: string[];
}

let browser: Browser;

/** A fresh context per report with JavaScript off: the reports must not need it. */
async function render(html: string): Promise<Rendered> {
  const context = await browser.newContext({
    javaScriptEnabled: false,
    viewport: { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => problems.push(`request: ${r.url()}`));
  page.on('requestfailed', (r) => problems.push(`failed request: ${r.url()}`));
  await page.setContent(html, { waitUntil: 'load' });
  return { page, problems };
}

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: inject('chromiumPath'),
    // Playwright gives each launch a fresh temporary --user-data-dir itself (it refuses one in args).
    args: [...CHROMIUM_ARGS],
  });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe('drift report in Chromium', () => {
  let report: DriftReport;
  let rendered: Rendered;

  beforeAll(async () => {
    report = driftReport();
    rendered = await render(renderDriftHtml(report, META));
  }, 60_000);

  afterAll(async () => {
    await rendered?.page.context().close();
  });

  it('draws one visible histogram per numeric column', async () => {
    // Prepare
    const numeric = report.columns.filter((c) => c.kind === 'numeric');
    const histograms = rendered.page.locator('svg.chart.histogram');

    // Act
    const count = await histograms.count();
    const boxes = await Promise.all(Array.from({ length: count }, (_, i) => histograms.nth(i).boundingBox()));

    // Assess
    expect(numeric.length).toBe(NUMERIC.length);
    expect(count).toBe(numeric.length);
    for (const box of boxes) {
      expect(box?.width ?? 0).toBeGreaterThan(200);
      expect(box?.height ?? 0).toBeGreaterThan(100);
    }
    const columns = await histograms.evaluateAll((svgs) => svgs.map((s) => s.getAttribute('data-column')));
    expect(columns.sort()).toEqual([...NUMERIC].sort());
  });

  it('gives every histogram reference and current bars of non-zero height', async () => {
    // Prepare
    const histograms = rendered.page.locator('svg.chart.histogram');

    // Act
    const heights = await histograms.evaluateAll((svgs) =>
      svgs.map((svg) => {
        const tallest = (cls: string) =>
          Math.max(
            0,
            ...[...svg.querySelectorAll(`rect.bar.${cls}`)].map(
              (r) => (r as unknown as SvgGraphics).getBBox().height,
            ),
          );
        return { reference: tallest('reference'), current: tallest('current') };
      }),
    );

    // Assess
    expect(heights.length).toBe(NUMERIC.length);
    for (const h of heights) {
      expect(h.reference).toBeGreaterThan(10);
      expect(h.current).toBeGreaterThan(10);
    }
  });

  it('colours the overall severity badge by the report’s severity', async () => {
    // Prepare
    const badge = rendered.page.locator('header .verdict .badge');

    // Act
    const style = await badge.evaluate((el) => {
      const s = getComputedStyle(el);
      return { background: s.backgroundColor, text: el.textContent };
    });

    // Assess
    expect(report.severity).not.toBe('NONE');
    expect(await badge.isVisible()).toBe(true);
    expect(style.text).toBe(report.severity);
    expect(style.background).toBe(rgb(SEVERITY_COLORS[report.severity].background));
  });

  it('renders user-supplied names as text, never as markup', async () => {
    // Act
    const injected = await rendered.page.locator('main b:text-is("score"), main img').count();
    const heading = await rendered.page.locator('section.column h2', { hasText: '<b>score</b>' }).count();
    const categoryLabel = await rendered.page
      .locator('svg.categories text', { hasText: '"><img src=x>' })
      .count();

    // Assess
    expect(injected).toBe(0);
    expect(heading).toBe(1);
    expect(categoryLabel).toBe(1);
  });

  it('loads without console errors or network requests and saves a screenshot', async () => {
    // Act
    const path = join(SCREENSHOT_DIR, 'drift-report.png');
    await rendered.page.screenshot({ path, fullPage: true });

    // Assess
    expect(rendered.problems).toEqual([]);
  });
});

describe('quality report in Chromium', () => {
  let rendered: Rendered;
  const report = qualityReport();

  beforeAll(async () => {
    rendered = await render(
      renderQualityHtml(report, { ...META, dataset: 'sensors', sourceKey: 'fresh/demo/sensors/2026.csv' }),
    );
  }, 60_000);

  afterAll(async () => {
    await rendered?.page.context().close();
  });

  it('shows the status badge in its colour beside the score', async () => {
    // Prepare
    const badge = rendered.page.locator('header .verdict .badge');

    // Act
    const background = await badge.evaluate((el) => getComputedStyle(el).backgroundColor);
    const score = await rendered.page.locator('header .score').textContent();

    // Assess
    expect(await badge.isVisible()).toBe(true);
    expect(background).toBe(rgb(QUALITY_STATUS_COLORS[report.status].background));
    expect(score).toContain(String(report.score));
  });

  it('colours each issue by its severity, worst first', async () => {
    // Act
    const issues = await rendered.page
      .locator('table.issues tbody tr .badge')
      .evaluateAll((badges) =>
        badges.map((b) => ({ text: b.textContent, bg: getComputedStyle(b).backgroundColor })),
      );

    // Assess
    expect(issues.map((i) => i.text)).toEqual(report.issues.map((i) => i.severity));
    for (const issue of report.issues) {
      const shown = issues.find((i) => i.text === issue.severity);
      expect(shown?.bg).toBe(rgb(ISSUE_SEVERITY_COLORS[issue.severity].background));
    }
  });

  it('lists every column with its status', async () => {
    // Act
    const columns = await rendered.page
      .locator('table.columns tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-column')));

    // Assess
    expect(columns.sort()).toEqual(report.columns.map((c) => c.column).sort());
    expect(await rendered.page.locator('table.columns').isVisible()).toBe(true);
  });

  it('loads without console errors or network requests and saves a screenshot', async () => {
    // Act
    const path = join(SCREENSHOT_DIR, 'quality-report.png');
    await rendered.page.screenshot({ path, fullPage: true });

    // Assess
    expect(rendered.problems).toEqual([]);
  });
});
