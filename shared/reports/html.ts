/**
 * Self-contained HTML renderings of the drift and quality reports: one document each, inline stylesheet,
 * charts as inline SVG, no script and no external reference, so the file opens from S3 or an e-mail
 * attachment offline, with JavaScript disabled, and a report cannot leak who reads it. A
 * Content-Security-Policy that allows nothing but inline styles backs that up: even a missed escape could
 * not run a script or load an image.
 *
 * Every string that came from an uploaded file (column names, category values, keys, messages) goes
 * through `escapeHtml`; numbers go through the formatters in format.ts.
 */
import type {
  CategoricalColumnDrift,
  ColumnDrift,
  DriftReport,
  DriftTypeHint,
  ExcludedColumn,
  NumericColumnDrift,
  PerformanceComparison,
  SkippedColumn,
} from '../domain/drift/report.js';
import { type DriftThresholds, SEVERITIES, type Severity, severityOf } from '../domain/drift/severity.js';
import type {
  ColumnQuality,
  QualityIssue,
  QualityIssueSeverity,
  QualityReport,
  QualityStatus,
} from '../domain/quality/types.js';
import {
  escapeHtml,
  formatCount,
  formatNumber,
  formatPercent,
  formatPValue,
  formatSigned,
} from './format.js';
import { categoryChartSvg, histogramSvg, truncate } from './svg.js';

export {
  escapeHtml,
  formatCount,
  formatNumber,
  formatPercent,
  formatPValue,
  formatSigned,
} from './format.js';

/** Where the report came from; printed in the header and footer. */
export interface ReportMeta {
  tenant: string;
  dataset: string;
  /**
   * The version the report is about; absent when rendered before the version stage gave the file one
   * (the HTML the stages store, and the reports of files that never got a version).
   */
  version?: number;
  fileId: string;
  sourceKey: string;
  /** ISO-8601 time the report was made. */
  createdAt: string;
}

interface BadgeColor {
  background: string;
  color: string;
}

/**
 * Badge colours per drift severity, green to dark red. Exported so that tests can compare the computed
 * style with what the stylesheet meant. Amber and lime take dark text: white on them is unreadable.
 */
export const SEVERITY_COLORS: Record<Severity, BadgeColor> = {
  NONE: { background: '#2e7d32', color: '#ffffff' },
  LOW: { background: '#c0ca33', color: '#1f2933' },
  MODERATE: { background: '#f9a825', color: '#1f2933' },
  HIGH: { background: '#d84315', color: '#ffffff' },
  CRITICAL: { background: '#8b0000', color: '#ffffff' },
};

export const QUALITY_STATUS_COLORS: Record<QualityStatus, BadgeColor> = {
  EXCELLENT: { background: '#2e7d32', color: '#ffffff' },
  GOOD: { background: '#7cb342', color: '#1f2933' },
  FAIR: { background: '#f9a825', color: '#1f2933' },
  POOR: { background: '#d84315', color: '#ffffff' },
  CRITICAL: { background: '#8b0000', color: '#ffffff' },
};

export const ISSUE_SEVERITY_COLORS: Record<QualityIssueSeverity, BadgeColor> = {
  INFO: { background: '#607d8b', color: '#ffffff' },
  MINOR: { background: '#f9a825', color: '#1f2933' },
  MAJOR: { background: '#d84315', color: '#ffffff' },
  CRITICAL: { background: '#8b0000', color: '#ffffff' },
};

function badgeRules(prefix: string, colors: Record<string, BadgeColor>): string {
  return Object.entries(colors)
    .map(([key, c]) => `.${prefix}-${key}{background:${c.background};color:${c.color}}`)
    .join('');
}

const STYLE = `
:root{--fg:#1f2933;--muted:#616e7c;--line:#d9e2ec;--soft:#f0f4f8;--bg:#f5f7fa;--card:#fff;--ref:#4c78a8;--cur:#f58518}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 20px 40px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0}h3{font-size:13px;margin:14px 0 6px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
a{color:#2f5f8f}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 18px;margin:0 0 16px}
.head{display:flex;gap:20px;align-items:flex-start;justify-content:space-between;flex-wrap:wrap}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0 0;color:var(--muted)}
.meta dt{font-weight:600}.meta dd{margin:0;color:var(--fg);overflow-wrap:anywhere}
.verdict{text-align:right}
.verdict .label{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
.badge{display:inline-block;border-radius:999px;padding:1px 9px;font-size:12px;font-weight:700;letter-spacing:.03em;white-space:nowrap}
.badge.big{font-size:18px;padding:5px 16px;margin-top:4px}
.score{font-size:34px;font-weight:700;line-height:1.1}.score small{font-size:15px;color:var(--muted);font-weight:400}
.counts{display:flex;gap:8px;flex-wrap:wrap;margin:12px 0 0}
.count{border:1px solid var(--line);border-radius:6px;padding:4px 10px;display:flex;gap:8px;align-items:center;background:var(--soft)}
.count b{font-size:16px}
.chip{display:inline-block;border:1px solid var(--line);border-radius:4px;padding:0 6px;font-size:12px;color:var(--muted);background:var(--soft)}
code,.code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.code{background:#e6edf5;border-radius:4px;padding:1px 6px;color:#243b53;font-weight:600}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600;background:var(--soft)}
td.num,th.num{text-align:right;white-space:nowrap}
tr.triggered td{background:#fff8e6}tr.decisive td{font-weight:600}tr.decisive td:first-child{box-shadow:inset 3px 0 0 #d84315}
abbr{text-decoration:none}
.sig{font-weight:700}
.muted{color:var(--muted)}.scroll{overflow-x:auto}table.overview td,table.issues td:nth-child(-n+3){white-space:nowrap}
.notice{border-left:4px solid var(--ref);background:#eef4fb;padding:10px 14px;border-radius:4px}
ul.plain{margin:6px 0 0;padding-left:20px}ul.plain li{margin:3px 0}
section.column{scroll-margin-top:12px}
.col-head{display:flex;gap:10px;align-items:center;flex-wrap:wrap;margin-bottom:10px}
.col-head h2{overflow-wrap:anywhere}
.col-body{display:grid;grid-template-columns:minmax(0,1.15fr) minmax(0,1fr);gap:18px}
@media (max-width:900px){.col-body{grid-template-columns:1fr}}
.values{overflow-wrap:anywhere;font-size:13px}
.hbar{position:relative;height:8px;background:var(--soft);border-radius:4px;min-width:60px;margin-top:3px}
.hbar span{position:absolute;left:0;top:0;bottom:0;border-radius:4px;background:#9aa5b1}
details summary{cursor:pointer;color:var(--muted);font-weight:600}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px;overflow-wrap:anywhere}
svg.chart{width:100%;height:auto;display:block;font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
svg .bar.reference,svg .swatch.reference{fill:var(--ref);fill-opacity:.55}
svg .bar.current,svg .swatch.current{fill:var(--cur);fill-opacity:.55}
svg g:hover>.bar{fill-opacity:.85}
svg .grid{stroke:#e4e7eb}svg .axis{stroke:#7b8794}svg .tick,svg .value{fill:var(--muted)}
svg .axis-title{fill:#3e4c59;font-weight:600}svg .label{fill:var(--fg)}svg .label.muted{fill:var(--muted);font-style:italic}
svg .legend text{fill:var(--fg)}svg .mark{font-weight:700;font-size:10px}svg .mark.new{fill:#c05600}svg .mark.gone{fill:#7b8794}
@media print{body{background:#fff}.card{break-inside:avoid;border-color:#bbb}}
${badgeRules('sev', SEVERITY_COLORS)}${badgeRules('q', QUALITY_STATUS_COLORS)}${badgeRules('i', ISSUE_SEVERITY_COLORS)}
`
  .trim()
  .replace(/\n/g, '');

/** Inline styles only: the policy is what makes "no external reference" hold even if an escape is missed. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'";

function page(title: string, body: string, meta: ReportMeta): string {
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<meta name="color-scheme" content="light">' +
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>` +
    `<body><main>${body}${footer(meta)}</main></body></html>\n`
  );
}

function footer(meta: ReportMeta): string {
  return (
    `<footer>Generated by strata at ${escapeHtml(meta.createdAt)} · tenant ${escapeHtml(meta.tenant)} · ` +
    `file ${escapeHtml(meta.fileId)} · <code>${escapeHtml(meta.sourceKey)}</code></footer>`
  );
}

function versionLabel(version: number | undefined): string {
  return version === undefined ? 'not versioned' : `v${formatCount(version)}`;
}

function metaList(entries: Array<[string, string]>): string {
  return `<dl class="meta">${entries.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function severityBadge(severity: Severity, big = false): string {
  return `<span class="badge severity sev-${severity}${big ? ' big' : ''}">${severity}</span>`;
}

// ---------------------------------------------------------------------------------------------------
// Drift
// ---------------------------------------------------------------------------------------------------

const DRIFT_TYPE_LABELS: Record<DriftTypeHint['type'], string> = {
  covariate_shift: 'Covariate shift',
  prior_shift: 'Prior (label) shift',
  concept_drift: 'Concept drift',
  schema_change: 'Schema change',
};

function rank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Worst first; columns of equal severity keep the report's order (the sort is stable). */
function bySeverity<T extends { severity: Severity }>(columns: readonly T[]): T[] {
  return [...columns].sort((a, b) => rank(b.severity) - rank(a.severity));
}

function columnList(columns: readonly string[] | undefined, limit = 12): string {
  if (columns === undefined || columns.length === 0) return '';
  const shown = columns
    .slice(0, limit)
    .map((c) => `<code>${escapeHtml(truncate(c, 60))}</code>`)
    .join(', ');
  const more = columns.length > limit ? ` and ${formatCount(columns.length - limit)} more` : '';
  return `${shown}${more}`;
}

function driftHeader(report: DriftReport, meta: ReportMeta): string {
  const reference =
    report.reference === null
      ? 'no reference: first version'
      : `v${formatCount(report.reference.version)}${report.reference.pinned ? ' (pinned baseline)' : ' (previous version)'}, ${formatCount(report.reference.rows)} rows`;
  const counts = [...SEVERITIES]
    .reverse()
    .map(
      (s) =>
        `<span class="count">${severityBadge(s)}<b>${formatCount(report.severityCounts[s] ?? 0)}</b></span>`,
    )
    .join('');
  return (
    `<header class="card"><div class="head"><div>` +
    `<h1>Drift report · ${escapeHtml(meta.dataset)} ${versionLabel(meta.version)}</h1>` +
    metaList([
      ['Tenant', escapeHtml(meta.tenant)],
      ['Dataset', escapeHtml(meta.dataset)],
      ['Version', versionLabel(meta.version)],
      ['Reference', reference],
      ['Current rows', formatCount(report.current.rows)],
      ['Source', `<code>${escapeHtml(meta.sourceKey)}</code>`],
      ['Created', escapeHtml(meta.createdAt)],
    ]) +
    `</div><div class="verdict"><div class="label">Overall drift</div>${severityBadge(report.severity, true)}</div></div>` +
    // Without a reference every count is 0: the row would only be noise.
    (report.status === 'COMPARED'
      ? `<div class="counts" aria-label="Columns per severity">${counts}</div>`
      : '') +
    '</header>'
  );
}

function driftTypesCard(hints: readonly DriftTypeHint[]): string {
  if (hints.length === 0) return '';
  const items = hints
    .map((h) => {
      // The messages usually name their columns already; repeating them only adds noise.
      const named = h.columns.every((c) => h.message.includes(c));
      const list =
        h.columns.length > 0 && !named ? ` <span class="muted">(${columnList(h.columns)})</span>` : '';
      return `<li><b>${DRIFT_TYPE_LABELS[h.type] ?? escapeHtml(h.type)}</b>: ${escapeHtml(h.message)}${list}</li>`;
    })
    .join('');
  return `<section class="card"><h2>Drift types</h2><ul class="plain">${items}</ul></section>`;
}

function performanceCard(p: PerformanceComparison | undefined): string {
  if (p === undefined) return '';
  const fmt = (v: number): string => (p.metric === 'accuracy' ? formatPercent(v) : formatNumber(v));
  const metric =
    p.metric === 'accuracy' ? 'accuracy (higher is better)' : 'mean absolute error (lower is better)';
  return (
    `<section class="card performance"><h2>Model performance</h2>` +
    `<p class="muted">Prediction <code>${escapeHtml(p.prediction)}</code> against label <code>${escapeHtml(p.label)}</code>, ${metric}.</p>` +
    `<table><thead><tr><th>metric</th><th class="num">reference</th><th class="num">current</th><th class="num">degradation</th><th>verdict</th></tr></thead>` +
    `<tbody><tr><td>${p.metric}</td><td class="num">${fmt(p.reference)}</td><td class="num">${fmt(p.current)}</td>` +
    `<td class="num">${formatPercent(p.degradation)}</td>` +
    `<td>${p.degraded ? '<span class="badge sev-HIGH">DEGRADED</span>' : '<span class="badge sev-NONE">OK</span>'}</td></tr></tbody></table></section>`
  );
}

function recommendationsCard(
  recs: ReadonlyArray<{ code: string; message: string; columns?: string[] }>,
): string {
  if (recs.length === 0) return '';
  const items = recs
    .map(
      (r) =>
        `<li><span class="code">${escapeHtml(r.code)}</span> ${escapeHtml(r.message)}` +
        `${r.columns !== undefined && r.columns.length > 0 ? ` <span class="muted">(${columnList(r.columns)})</span>` : ''}</li>`,
    )
    .join('');
  return `<section class="card"><h2>Recommendations</h2><ul class="plain">${items}</ul></section>`;
}

/** The one figure that best summarises a column's shift, for the overview table. */
function overviewRow(col: NumericColumnDrift | CategoricalColumnDrift, anchor: string): string {
  const test =
    col.kind === 'numeric'
      ? `KS D ${formatNumber(col.ks.statistic)}, p ${formatPValue(col.ks.pValue)}`
      : `χ² p ${formatPValue(col.chiSquare.pValue)}${col.newCategoryCount > 0 ? `, ${formatCount(col.newCategoryCount)} new` : ''}`;
  const shift = col.kind === 'numeric' ? `${formatSigned(col.meanShiftSd)}σ` : '';
  return (
    `<tr><td><a href="#${anchor}">${escapeHtml(truncate(col.column, 60))}</a></td><td>${col.kind}</td>` +
    `<td>${severityBadge(col.severity)}</td><td class="num">${formatNumber(col.psi)}</td>` +
    `<td class="num">${formatNumber(col.jsDivergence)}</td><td class="num">${shift}</td><td>${test}</td></tr>`
  );
}

function overviewCard(compared: ReadonlyArray<NumericColumnDrift | CategoricalColumnDrift>): string {
  if (compared.length === 0) return '';
  const rows = compared.map((col, i) => overviewRow(col, `col-${i}`)).join('');
  return (
    `<section class="card"><h2>Columns</h2>` +
    `<div class="scroll"><table class="overview"><thead><tr><th>column</th><th>kind</th><th>severity</th><th class="num">PSI</th>` +
    `<th class="num">JS (bits)</th><th class="num">mean shift</th><th>test</th></tr></thead><tbody>${rows}</tbody></table></div></section>`
  );
}

interface MetricRow {
  name: string;
  value: string;
  pValue?: { value: number; alpha: number };
  /** The severity this metric alone reaches; absent for tests that only inform. */
  level?: Severity;
  note?: string;
}

/** Rows whose level is the column's severity are marked: they are why the column got its badge. */
function metricTable(rows: readonly MetricRow[], severity: Severity): string {
  const body = rows
    .map((r) => {
      const p =
        r.pValue === undefined
          ? ''
          : r.pValue.value < r.pValue.alpha
            ? `<span class="sig">${formatPValue(r.pValue.value)}</span>`
            : formatPValue(r.pValue.value);
      const triggered = r.level !== undefined && r.level !== 'NONE';
      const decisive = triggered && r.level === severity;
      return (
        `<tr${triggered ? ` class="triggered${decisive ? ' decisive' : ''}"` : ''}><td>${r.name}${r.note === undefined ? '' : ` <span class="muted">${r.note}</span>`}</td>` +
        `<td class="num">${r.value}</td><td class="num">${p}</td><td>${r.level === undefined ? '<span class="muted">—</span>' : severityBadge(r.level)}</td></tr>`
      );
    })
    .join('');
  return (
    `<table class="tests"><thead><tr><th>test / distance</th><th class="num">value</th><th class="num">p-value</th><th>level</th></tr></thead>` +
    `<tbody>${body}</tbody></table>`
  );
}

function missingRow(
  reference: { nullFraction: number },
  current: { nullFraction: number },
  t: DriftThresholds,
): MetricRow {
  const delta = current.nullFraction - reference.nullFraction;
  return {
    name: 'missing values',
    value: `${formatPercent(reference.nullFraction)} → ${formatPercent(current.nullFraction)}`,
    level: severityOf({ nullFractionDelta: delta }, t),
  };
}

/**
 * Whose U the statistic is. Reports are rendered again when served, and those stored before `uOf`
 * existed hold the reference's U (the reference was the first sample then).
 */
function uOwner(col: NumericColumnDrift): 'current' | 'reference' {
  return (col.mannWhitney as { uOf?: string }).uOf === 'current' ? 'current' : 'reference';
}

function numericTests(col: NumericColumnDrift, t: DriftThresholds): string {
  const rows: MetricRow[] = [
    {
      name: '<abbr title="Kolmogorov–Smirnov">KS</abbr> D',
      note: col.ks.method,
      value: formatNumber(col.ks.statistic),
      pValue: { value: col.ks.pValue, alpha: t.alpha },
      level: severityOf({ ksStatistic: col.ks.statistic, ksPValue: col.ks.pValue }, t),
    },
    {
      name: 'Mann–Whitney U',
      note: `of the ${uOwner(col) === 'current' ? 'current file' : 'reference'}`,
      value: formatNumber(col.mannWhitney.statistic),
      pValue: { value: col.mannWhitney.pValue, alpha: t.alpha },
    },
    {
      name: 'PSI',
      note: 'reference deciles',
      value: formatNumber(col.psi),
      level: severityOf({ psi: col.psi }, t),
    },
    {
      name: 'Jensen–Shannon',
      note: 'bits',
      value: formatNumber(col.jsDivergence),
      level: severityOf({ jsDivergence: col.jsDivergence }, t),
    },
    {
      name: 'mean shift',
      note: 'reference σ',
      value: `${formatSigned(col.meanShiftSd)}σ`,
      level: severityOf({ meanShiftSd: col.meanShiftSd }, t),
    },
    {
      name: 'std ratio',
      note: 'current / reference',
      value: formatNumber(col.stdRatio),
      level: severityOf({ stdRatio: col.stdRatio }, t),
    },
    missingRow(col.reference, col.current, t),
  ];
  return metricTable(rows, col.severity);
}

function categoricalTests(col: CategoricalColumnDrift, t: DriftThresholds): string {
  const rows: MetricRow[] = [
    {
      name: 'χ² homogeneity',
      note: `dof ${formatCount(col.chiSquare.dof)}`,
      value: formatNumber(col.chiSquare.statistic),
      pValue: { value: col.chiSquare.pValue, alpha: t.alpha },
    },
    { name: 'PSI', value: formatNumber(col.psi), level: severityOf({ psi: col.psi }, t) },
    {
      name: 'Jensen–Shannon',
      note: 'bits',
      value: formatNumber(col.jsDivergence),
      level: severityOf({ jsDivergence: col.jsDivergence }, t),
    },
    {
      name: 'new categories',
      note: `${formatPercent(col.newCategoryFraction)} of current rows`,
      value: formatCount(col.newCategoryCount),
      level: severityOf({ newCategoryFraction: col.newCategoryFraction }, t),
    },
    { name: 'missing categories', value: formatCount(col.missingCategoryCount) },
    missingRow(col.reference, col.current, t),
  ];
  return metricTable(rows, col.severity);
}

function numericSummary(col: NumericColumnDrift): string {
  const row = (name: string, s: NumericColumnDrift['reference']): string =>
    `<tr><td>${name}</td><td class="num">${formatCount(s.rows)}</td><td class="num">${formatPercent(s.nullFraction)}</td>` +
    `<td class="num">${formatNumber(s.mean)}</td><td class="num">${formatNumber(s.std)}</td>` +
    `<td class="num">${formatNumber(s.min)}</td><td class="num">${formatNumber(s.max)}</td></tr>`;
  return (
    `<table class="summary"><thead><tr><th></th><th class="num">rows</th><th class="num">missing</th><th class="num">mean</th>` +
    `<th class="num">std</th><th class="num">min</th><th class="num">max</th></tr></thead>` +
    `<tbody>${row('reference', col.reference)}${row('current', col.current)}</tbody></table>`
  );
}

function categoricalSummary(col: CategoricalColumnDrift): string {
  const row = (name: string, s: CategoricalColumnDrift['reference']): string =>
    `<tr><td>${name}</td><td class="num">${formatCount(s.rows)}</td><td class="num">${formatPercent(s.nullFraction)}</td>` +
    `<td class="num">${formatCount(s.distinct)}</td></tr>`;
  return (
    `<table class="summary"><thead><tr><th></th><th class="num">rows</th><th class="num">missing</th><th class="num">distinct</th></tr></thead>` +
    `<tbody>${row('reference', col.reference)}${row('current', col.current)}</tbody></table>`
  );
}

function quantileTable(col: NumericColumnDrift): string {
  if (col.quantiles.length === 0) return '';
  const rows = col.quantiles
    .map((q) => {
      const label = `p${formatNumber(q.p * 100, 3)}`;
      return (
        `<tr><td>${label}</td><td class="num">${formatNumber(q.reference)}</td><td class="num">${formatNumber(q.current)}</td>` +
        `<td class="num">${formatSigned(q.delta)}</td></tr>`
      );
    })
    .join('');
  return (
    `<h3>Quantiles</h3><table class="quantiles"><thead><tr><th>percentile</th><th class="num">reference</th>` +
    `<th class="num">current</th><th class="num">Δ</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

function valueList(title: string, values: readonly string[], count: number): string {
  if (count === 0) return '';
  const shown = values.map((v) => `<code>${escapeHtml(truncate(v, 40))}</code>`).join(', ');
  const more = count > values.length ? ` and ${formatCount(count - values.length)} more` : '';
  return `<p class="values"><b>${title}</b> (${formatCount(count)}): ${shown}${more}</p>`;
}

function columnHead(col: ColumnDrift, extra = ''): string {
  return (
    `<div class="col-head"><h2>${escapeHtml(col.column)}</h2>${severityBadge(col.severity)}` +
    `<span class="chip">${escapeHtml(col.type)}</span><span class="chip">${escapeHtml(col.role)}</span>${extra}</div>`
  );
}

function columnSection(
  col: NumericColumnDrift | CategoricalColumnDrift,
  anchor: string,
  t: DriftThresholds,
): string {
  const attrs = `class="card column" id="${anchor}" data-column="${escapeHtml(col.column)}" data-severity="${col.severity}"`;
  if (col.kind === 'numeric') {
    const sampled = col.sampled
      ? '<span class="chip" title="A side had more values than the comparison keeps; a uniform sample was tested">sampled</span>'
      : '';
    return (
      `<section ${attrs}>${columnHead(col, sampled)}<div class="col-body"><div>` +
      histogramSvg(col.histogram, {
        column: col.column,
        referenceRows: col.reference.rows - col.reference.nulls,
        currentRows: col.current.rows - col.current.nulls,
      }) +
      `${quantileTable(col)}</div><div>${numericTests(col, t)}<h3>Summary</h3>${numericSummary(col)}</div></div></section>`
    );
  }
  return (
    `<section ${attrs}>${columnHead(col)}<div class="col-body"><div>` +
    categoryChartSvg(col.categories, { column: col.column, other: col.other }) +
    `</div><div>${categoricalTests(col, t)}<h3>Summary</h3>${categoricalSummary(col)}` +
    valueList('New categories', col.newCategories, col.newCategoryCount) +
    valueList('Missing categories', col.missingCategories, col.missingCategoryCount) +
    `</div></div></section>`
  );
}

function skippedCard(skipped: readonly SkippedColumn[]): string {
  if (skipped.length === 0) return '';
  const rows = skipped
    .map(
      (s) =>
        `<tr data-column="${escapeHtml(s.column)}"><td>${escapeHtml(s.column)}</td><td>${escapeHtml(s.type)}</td>` +
        `<td>${escapeHtml(s.role)}</td><td>${escapeHtml(s.reason)}</td></tr>`,
    )
    .join('');
  return (
    `<section class="card skipped"><h2>Skipped columns</h2>` +
    `<table><thead><tr><th>column</th><th>type</th><th>role</th><th>reason</th></tr></thead><tbody>${rows}</tbody></table></section>`
  );
}

const EXCLUSION_SOURCES: Record<ExcludedColumn['source'], string> = {
  inferred: 'inferred from the data',
  settings: 'drift settings',
};

function excludedCard(excluded: readonly ExcludedColumn[]): string {
  if (excluded.length === 0) return '';
  const rows = excluded
    .map(
      (e) =>
        `<tr data-column="${escapeHtml(e.column)}"><td>${escapeHtml(e.column)}</td><td>${escapeHtml(e.type)}</td>` +
        `<td>${escapeHtml(e.reason)}</td><td>${EXCLUSION_SOURCES[e.source] ?? escapeHtml(e.source)}</td><td>${escapeHtml(e.detail)}</td></tr>`,
    )
    .join('');
  return (
    `<section class="card excluded"><h2>Excluded columns</h2>` +
    `<p class="muted">Not compared: an identifier has no distribution, and its new values would always look like drift. ` +
    `The dataset's drift settings change which columns are excluded: <code>identifier_columns</code> names them, ` +
    `<code>infer_identifiers: false</code> stops inferring them.</p>` +
    `<table><thead><tr><th>column</th><th>type</th><th>reason</th><th>source</th><th>evidence</th></tr></thead><tbody>${rows}</tbody></table></section>`
  );
}

function thresholdsCard(t: DriftThresholds): string {
  const cuts: Array<[string, { low: number; moderate: number; high: number; critical: number }]> = [
    ['PSI', t.psi],
    ['Jensen–Shannon (bits)', t.jsDivergence],
    ['KS D (when p < α)', t.ksStatistic],
    ['|mean shift| (σ)', t.meanShiftSd],
    ['|ln std ratio|', t.logStdRatio],
    ['|Δ missing share|', t.nullFractionDelta],
    ['new-category share', t.newCategoryFraction],
  ];
  const rows = cuts
    .map(
      ([name, c]) =>
        `<tr><td>${name}</td><td class="num">${formatNumber(c.low)}</td><td class="num">${formatNumber(c.moderate)}</td>` +
        `<td class="num">${formatNumber(c.high)}</td><td class="num">${formatNumber(c.critical)}</td></tr>`,
    )
    .join('');
  return (
    `<section class="card"><details><summary>Thresholds (α = ${formatNumber(t.alpha)}, performance degradation ≥ ${formatPercent(t.performanceDegradation)})</summary>` +
    `<table><thead><tr><th>metric</th><th class="num">${severityBadge('LOW')}</th><th class="num">${severityBadge('MODERATE')}</th>` +
    `<th class="num">${severityBadge('HIGH')}</th><th class="num">${severityBadge('CRITICAL')}</th></tr></thead><tbody>${rows}</tbody></table>` +
    `<p class="muted">A column's severity is the highest level any of its metrics reaches (from the value shown, inclusive).</p></details></section>`
  );
}

/** The drift report as one self-contained HTML document. */
export function renderDriftHtml(report: DriftReport, meta: ReportMeta): string {
  const compared = bySeverity(
    report.columns.filter((c): c is NumericColumnDrift | CategoricalColumnDrift => c.kind !== 'skipped'),
  );
  const skipped = report.columns.filter((c): c is SkippedColumn => c.kind === 'skipped');
  const notice =
    report.status === 'NO_REFERENCE'
      ? '<section class="card notice no-reference"><b>No reference: first version.</b> The dataset had no earlier version to compare with, so no drift was measured; the next version will be compared with this one.</section>'
      : '';
  const body =
    driftHeader(report, meta) +
    notice +
    performanceCard(report.performance) +
    driftTypesCard(report.driftTypes) +
    recommendationsCard(report.recommendations) +
    overviewCard(compared) +
    compared.map((col, i) => columnSection(col, `col-${i}`, report.thresholds)).join('') +
    // Reports stored before exclusions existed have no list.
    excludedCard(report.excludedColumns ?? []) +
    skippedCard(skipped) +
    (report.status === 'COMPARED' ? thresholdsCard(report.thresholds) : '');
  return page(`Drift · ${meta.dataset} ${versionLabel(meta.version)}`, body, meta);
}

// ---------------------------------------------------------------------------------------------------
// Quality
// ---------------------------------------------------------------------------------------------------

const ISSUE_KIND_LABELS: Record<QualityIssue['kind'], string> = {
  missing_values: 'missing values',
  outliers_zscore: 'outliers (z-score)',
  outliers_iqr: 'outliers (IQR)',
  constant_period: 'constant period',
  constant_column: 'constant column',
  noise: 'noise',
  duplicate_rows: 'duplicate rows',
};

function qualityBadge(status: QualityStatus, big = false): string {
  return `<span class="badge status q-${status}${big ? ' big' : ''}">${status}</span>`;
}

function issueBadge(severity: QualityIssueSeverity): string {
  return `<span class="badge issue-severity i-${severity}">${severity}</span>`;
}

/** A share drawn as a small bar next to its number; widths are computed numbers, never user text. */
function shareBar(fraction: number, color: string): string {
  const pct = Number.isFinite(fraction) ? Math.min(Math.max(fraction, 0), 1) * 100 : 0;
  return `<div class="hbar"><span style="width:${pct.toFixed(1)}%;background:${color}"></span></div>`;
}

function issueValue(issue: QualityIssue): string {
  switch (issue.kind) {
    case 'constant_period':
    case 'constant_column':
      return `${formatCount(issue.value)} rows`;
    case 'noise':
      return formatNumber(issue.value, 3);
    default:
      return formatPercent(issue.value);
  }
}

function qualityHeader(report: QualityReport, meta: ReportMeta): string {
  const order =
    report.order === 'time' && report.timeColumn !== undefined
      ? `time order by <code>${escapeHtml(report.timeColumn)}</code>`
      : 'file order (no time column)';
  return (
    `<header class="card"><div class="head"><div>` +
    `<h1>Data quality report · ${escapeHtml(meta.dataset)} ${versionLabel(meta.version)}</h1>` +
    metaList([
      ['Tenant', escapeHtml(meta.tenant)],
      ['Dataset', escapeHtml(meta.dataset)],
      ['Version', versionLabel(meta.version)],
      ['Rows', formatCount(report.rows)],
      ['Columns', formatCount(report.columns.length)],
      ['Row order', order],
      ['Source', `<code>${escapeHtml(meta.sourceKey)}</code>`],
      ['Created', escapeHtml(meta.createdAt)],
    ]) +
    `</div><div class="verdict"><div class="label">Quality score</div>` +
    `<div class="score">${formatNumber(report.score, 3)}<small> / 100</small></div>${qualityBadge(report.status, true)}</div></div>` +
    `<div class="counts"><span class="count">duplicate rows <b>${formatCount(report.duplicates.count)}</b> ` +
    `<span class="muted">${formatPercent(report.duplicates.fraction)}</span></span>` +
    `<span class="count">issues <b>${formatCount(report.issues.length)}</b></span></div></header>`
  );
}

function issuesCard(issues: readonly QualityIssue[]): string {
  if (issues.length === 0) {
    return '<section class="card"><h2>Issues</h2><p class="muted">No issues found.</p></section>';
  }
  const rows = issues
    .map(
      (i) =>
        `<tr data-severity="${i.severity}"><td>${issueBadge(i.severity)}</td><td>${ISSUE_KIND_LABELS[i.kind] ?? escapeHtml(i.kind)}</td>` +
        `<td>${i.column === undefined ? '<span class="muted">(file)</span>' : `<code>${escapeHtml(i.column)}</code>`}</td>` +
        `<td class="num">${issueValue(i)}</td><td class="num">${i.penalty > 0 ? `−${formatNumber(i.penalty, 3)}` : '0'}</td><td>${escapeHtml(i.message)}</td></tr>`,
    )
    .join('');
  return (
    `<section class="card"><h2>Issues</h2><div class="scroll"><table class="issues"><thead><tr><th>severity</th><th>kind</th><th>column</th>` +
    `<th class="num">value</th><th class="num">penalty</th><th>message</th></tr></thead><tbody>${rows}</tbody></table></div></section>`
  );
}

function qualityRecommendationsCard(report: QualityReport): string {
  return recommendationsCard(
    report.recommendations.map((r) => ({
      code: r.code,
      message: r.message,
      ...(r.column === undefined ? {} : { columns: [r.column] }),
    })),
  );
}

function outlierCell(o: { count: number; fraction: number } | undefined): string {
  if (o === undefined) return '<td class="num muted">—</td>';
  return `<td class="num">${formatCount(o.count)} <span class="muted">(${formatPercent(o.fraction)})</span></td>`;
}

function qualityColumnRow(col: ColumnQuality): string {
  const run = col.constantPeriods;
  const runCell =
    run === undefined
      ? '<td class="num muted">—</td>'
      : `<td class="num">${formatCount(run.longestRun)} <span class="muted">@${formatCount(run.longestRunStart)}</span></td>`;
  return (
    `<tr data-column="${escapeHtml(col.column)}"><td><code>${escapeHtml(col.column)}</code></td><td>${escapeHtml(col.type)}</td>` +
    `<td class="num">${formatPercent(col.missing.fraction)}${shareBar(col.missing.fraction, '#7b8794')}</td>` +
    outlierCell(col.outliers?.zscore) +
    outlierCell(col.outliers?.iqr) +
    runCell +
    `<td class="num">${col.noise === undefined ? '<span class="muted">—</span>' : formatNumber(col.noise.ratio, 3)}</td>` +
    `<td class="num">${formatCount(col.distinct)}</td>` +
    `<td class="num">${formatNumber(col.score, 3)}${shareBar(col.score / 100, QUALITY_STATUS_COLORS[col.status].background)}</td>` +
    `<td>${qualityBadge(col.status)}</td></tr>`
  );
}

function qualityColumnsCard(report: QualityReport): string {
  // Worst first, like the drift report: the columns that need attention lead.
  const columns = [...report.columns].sort((a, b) => a.score - b.score);
  const rows = columns.map(qualityColumnRow).join('');
  return (
    `<section class="card"><h2>Columns</h2><div class="scroll"><table class="columns"><thead><tr><th>column</th><th>type</th>` +
    `<th class="num">missing</th><th class="num">outliers z</th><th class="num">outliers IQR</th>` +
    `<th class="num" title="Longest run of one repeated value, @ its first row">longest constant run</th>` +
    `<th class="num" title="Noise σ from successive differences / column σ">noise ratio</th>` +
    `<th class="num">distinct</th><th class="num">score</th><th>status</th></tr></thead><tbody>${rows}</tbody></table></div>` +
    `<p class="muted">Outliers: |z| above the z threshold, or outside Q1 − k·IQR … Q3 + k·IQR. ` +
    `Noise ratio ≈ 1 is white noise, near 0 a smooth signal; it needs a time column.</p></section>`
  );
}

/** The quality report as one self-contained HTML document. */
export function renderQualityHtml(report: QualityReport, meta: ReportMeta): string {
  const notes =
    report.notes !== undefined && report.notes.length > 0
      ? `<section class="card notice notes"><b>Notes.</b><ul class="plain">${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></section>`
      : '';
  const body =
    qualityHeader(report, meta) +
    notes +
    issuesCard(report.issues) +
    qualityRecommendationsCard(report) +
    qualityColumnsCard(report);
  return page(`Quality · ${meta.dataset} ${versionLabel(meta.version)}`, body, meta);
}
