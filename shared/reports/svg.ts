/**
 * Inline SVG charts for the HTML reports, built as strings on the server so that a report renders with
 * JavaScript disabled and without fetching anything. Colours and fonts come from the page's stylesheet
 * (classes `bar reference`, `bar current`, `axis`, …) to keep each chart small: a report can hold
 * dozens of them.
 */
import type { CategoryCount, HistogramPair } from '../domain/drift/report.js';
import { escapeHtml, formatCount, formatNumber, formatPercent } from './format.js';

/** Coordinates to one decimal: sub-pixel precision beyond that only bloats the document. */
function c(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

/** Shortens a label to `max` code points (not UTF-16 units, so no surrogate pair is split). */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function total(counts: readonly number[]): number {
  return counts.reduce((s, n) => s + (Number.isFinite(n) ? n : 0), 0);
}

function shares(counts: readonly number[], sum: number): number[] {
  return counts.map((n) => (sum > 0 && Number.isFinite(n) ? n / sum : 0));
}

/** A 1-2-5 step that cuts [0, max] into about `target` intervals, for readable percentage gridlines. */
function niceStep(max: number, target: number): number {
  if (!(max > 0)) return 1;
  const raw = max / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  const nice = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10;
  return nice * magnitude;
}

function legend(x: number, y: number, referenceLabel: string, currentLabel: string): string {
  const ref = escapeHtml(referenceLabel);
  const cur = escapeHtml(currentLabel);
  // Text widths are unknown server-side: estimate from the character count at the 11px chart font.
  const gap = Math.max(referenceLabel.length, currentLabel.length) * 6.2 + 22;
  return (
    `<g class="legend">` +
    `<rect class="swatch reference" x="${c(x - gap * 2)}" y="${c(y - 9)}" width="10" height="10"/>` +
    `<text x="${c(x - gap * 2 + 14)}" y="${c(y)}">${ref}</text>` +
    `<rect class="swatch current" x="${c(x - gap)}" y="${c(y - 9)}" width="10" height="10"/>` +
    `<text x="${c(x - gap + 14)}" y="${c(y)}">${cur}</text>` +
    `</g>`
  );
}

/** Horizontal gridlines with percentage labels on the left of a plot area. */
function yGrid(left: number, right: number, top: number, bottom: number, max: number): string {
  const step = niceStep(max, 4);
  const parts: string[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) {
    const y = bottom - (v / max) * (bottom - top);
    parts.push(`<line class="grid" x1="${c(left)}" x2="${c(right)}" y1="${c(y)}" y2="${c(y)}"/>`);
    parts.push(
      `<text class="tick" x="${c(left - 6)}" y="${c(y + 3.5)}" text-anchor="end">${formatPercent(v)}</text>`,
    );
  }
  return parts.join('');
}

/** Which edges get a tick label: about `target` evenly spaced ones, always the first and the last. */
function tickIndices(edgeCount: number, target: number): number[] {
  const last = edgeCount - 1;
  if (last <= 0) return [0];
  const step = Math.max(1, Math.ceil(last / target));
  const ticks: number[] = [];
  for (let i = 0; i < last; i += step) ticks.push(i);
  // Drop the tick before the last one when the two would overlap.
  const before = ticks[ticks.length - 1];
  if (before !== undefined && before !== 0 && last - before < step / 2) ticks.pop();
  ticks.push(last);
  return ticks;
}

export interface HistogramOptions {
  column: string;
  referenceRows: number;
  currentRows: number;
}

const HIST_W = 600;
const HIST_H = 260;

/**
 * Overlaid histogram of one numeric column: each side's bin counts as proportions of that side (so sides
 * of different sizes compare), drawn over the same equal-width bins with semi-transparent fills.
 * Returns an explanatory paragraph instead when there is nothing to draw.
 */
export function histogramSvg(histogram: HistogramPair, options: HistogramOptions): string {
  const bins = Math.min(histogram.reference.length, histogram.current.length, histogram.edges.length - 1);
  const refTotal = total(histogram.reference);
  const curTotal = total(histogram.current);
  if (bins <= 0 || (refTotal === 0 && curTotal === 0)) {
    return '<p class="muted">No non-null values on either side: nothing to chart.</p>';
  }
  const ref = shares(histogram.reference.slice(0, bins), refTotal);
  const cur = shares(histogram.current.slice(0, bins), curTotal);
  const edges = histogram.edges.slice(0, bins + 1);
  const maxShare = Math.max(...ref, ...cur);
  const step = niceStep(maxShare, 4);
  const yMax = maxShare > 0 ? Math.ceil(maxShare / step - 1e-9) * step : 1;

  const left = 52;
  const right = HIST_W - 14;
  const top = 34;
  const bottom = HIST_H - 50;
  const first = edges[0] ?? 0;
  const lastEdge = edges[edges.length - 1] ?? first;
  const span = lastEdge - first;
  // Value-proportional x when the edges allow it; bin index otherwise. A single bin (a constant column)
  // is drawn as a bar in the middle: stretched over the whole plot it would read as a filled box.
  const single = bins === 1;
  const byValue = !single && Number.isFinite(span) && span > 0 && edges.every(Number.isFinite);
  const xOf = (i: number): number => {
    const e = edges[i] ?? first;
    const t = single ? 0.42 + 0.16 * i : byValue ? (e - first) / span : i / bins;
    return left + t * (right - left);
  };
  const yOf = (share: number): number => bottom - (share / yMax) * (bottom - top);

  const column = escapeHtml(options.column);
  const parts: string[] = [
    `<svg class="chart histogram" data-column="${column}" viewBox="0 0 ${HIST_W} ${HIST_H}" role="img" aria-label="Histogram of ${column}, reference against current">`,
    yGrid(left, right, top, bottom, yMax),
  ];
  for (let i = 0; i < bins; i++) {
    const x0 = xOf(i);
    const width = Math.max(xOf(i + 1) - x0 - 1, 0.5);
    const r = ref[i] ?? 0;
    const k = cur[i] ?? 0;
    const range = `${formatNumber(edges[i] ?? Number.NaN)} – ${formatNumber(edges[i + 1] ?? Number.NaN)}`;
    const tip = `${range}: reference ${formatPercent(r)} (${formatCount(histogram.reference[i] ?? 0)}), current ${formatPercent(k)} (${formatCount(histogram.current[i] ?? 0)})`;
    parts.push(
      `<g><title>${escapeHtml(tip)}</title>` +
        `<rect class="bar reference" x="${c(x0 + 0.5)}" y="${c(yOf(r))}" width="${c(width)}" height="${c(bottom - yOf(r))}"/>` +
        `<rect class="bar current" x="${c(x0 + 0.5)}" y="${c(yOf(k))}" width="${c(width)}" height="${c(bottom - yOf(k))}"/>` +
        `</g>`,
    );
  }
  parts.push(`<line class="axis" x1="${c(left)}" x2="${c(right)}" y1="${c(bottom)}" y2="${c(bottom)}"/>`);
  const ticks = single && first === lastEdge ? [0] : tickIndices(edges.length, 6);
  for (const i of ticks) {
    const x = single && ticks.length === 1 ? (left + right) / 2 : xOf(i);
    // The outermost labels grow inwards so that they stay inside the chart.
    const anchor = single || (i > 0 && i < edges.length - 1) ? 'middle' : i === 0 ? 'start' : 'end';
    parts.push(`<line class="axis" x1="${c(x)}" x2="${c(x)}" y1="${c(bottom)}" y2="${c(bottom + 4)}"/>`);
    parts.push(
      `<text class="tick" x="${c(x)}" y="${c(bottom + 16)}" text-anchor="${anchor}">${formatNumber(edges[i] ?? Number.NaN, 3)}</text>`,
    );
  }
  parts.push(
    `<text class="axis-title" x="${c((left + right) / 2)}" y="${c(HIST_H - 10)}" text-anchor="middle">${escapeHtml(truncate(options.column, 60))} (${single ? 'one bin' : `${bins} equal-width bins`})</text>`,
    `<text class="axis-title" transform="translate(13 ${c((top + bottom) / 2)}) rotate(-90)" text-anchor="middle">share of rows</text>`,
    legend(
      right,
      16,
      `reference (n=${formatCount(options.referenceRows)})`,
      `current (n=${formatCount(options.currentRows)})`,
    ),
    '</svg>',
  );
  return parts.join('');
}

export interface CategoryChartOptions {
  column: string;
  /** Counts outside the listed categories, charted as one "(other)" row when non-zero. */
  other: { reference: number; current: number };
}

const CAT_W = 600;
const LABEL_W = 170;
const ROW_H = 26;
/** Categories drawn at most; the report's own list is already capped, this bounds a hand-made one. */
const MAX_CATEGORY_ROWS = 30;

/**
 * Grouped horizontal bars of category shares (reference over current per category), labels on the
 * left so that long category values stay readable. Categories new in the current data or missing from it
 * are marked in the label.
 */
export function categoryChartSvg(
  categories: readonly CategoryCount[],
  options: CategoryChartOptions,
): string {
  const rows: Array<{ label: string; title: string; reference: number; current: number; mark?: string }> =
    categories.slice(0, MAX_CATEGORY_ROWS).map((cat) => ({
      label: cat.value,
      title: cat.value,
      reference: cat.reference,
      current: cat.current,
      ...(cat.reference === 0 && cat.current > 0 ? { mark: 'new' } : {}),
      ...(cat.current === 0 && cat.reference > 0 ? { mark: 'gone' } : {}),
    }));
  const omitted = categories.slice(MAX_CATEGORY_ROWS);
  const otherRef = options.other.reference + total(omitted.map((x) => x.reference));
  const otherCur = options.other.current + total(omitted.map((x) => x.current));
  if (otherRef > 0 || otherCur > 0) {
    rows.push({ label: '(other)', title: 'all other categories', reference: otherRef, current: otherCur });
  }
  const refTotal = total(rows.map((r) => r.reference));
  const curTotal = total(rows.map((r) => r.current));
  if (rows.length === 0 || (refTotal === 0 && curTotal === 0)) {
    return '<p class="muted">No non-null values on either side: nothing to chart.</p>';
  }
  const maxShare = Math.max(
    ...rows.map((r) => (refTotal > 0 ? r.reference / refTotal : 0)),
    ...rows.map((r) => (curTotal > 0 ? r.current / curTotal : 0)),
  );
  const step = niceStep(maxShare, 4);
  const xMax = maxShare > 0 ? Math.ceil(maxShare / step - 1e-9) * step : 1;

  const top = 30;
  const left = LABEL_W;
  const right = CAT_W - 110;
  const bottom = top + rows.length * ROW_H;
  const height = bottom + 40;
  const xOf = (share: number): number => left + (share / xMax) * (right - left);
  const column = escapeHtml(options.column);
  const parts: string[] = [
    `<svg class="chart categories" data-column="${column}" viewBox="0 0 ${CAT_W} ${height}" role="img" aria-label="Category shares of ${column}, reference against current">`,
  ];
  for (let v = 0; v <= xMax + step * 1e-9; v += step) {
    const x = xOf(v);
    parts.push(`<line class="grid" x1="${c(x)}" x2="${c(x)}" y1="${top - 4}" y2="${c(bottom)}"/>`);
    parts.push(
      `<text class="tick" x="${c(x)}" y="${c(bottom + 16)}" text-anchor="middle">${formatPercent(v)}</text>`,
    );
  }
  rows.forEach((row, i) => {
    const y = top + i * ROW_H;
    const r = refTotal > 0 ? row.reference / refTotal : 0;
    const k = curTotal > 0 ? row.current / curTotal : 0;
    const label = escapeHtml(truncate(row.label, 24));
    const mark = row.mark === undefined ? '' : `<tspan class="mark ${row.mark}"> ${row.mark}</tspan>`;
    const tip = `${row.title}: reference ${formatPercent(r)} (${formatCount(row.reference)}), current ${formatPercent(k)} (${formatCount(row.current)})`;
    parts.push(
      `<g><title>${escapeHtml(tip)}</title>` +
        `<text class="label${row.label === '(other)' ? ' muted' : ''}" x="${left - 8}" y="${c(y + ROW_H / 2 + 3)}" text-anchor="end">${label}${mark}</text>` +
        `<rect class="bar reference" x="${left}" y="${c(y + 3)}" width="${c(Math.max(xOf(r) - left, 0))}" height="9"/>` +
        `<rect class="bar current" x="${left}" y="${c(y + 13)}" width="${c(Math.max(xOf(k) - left, 0))}" height="9"/>` +
        `<text class="value" x="${c(right + 8)}" y="${c(y + ROW_H / 2 + 3)}">${formatPercent(r)} → ${formatPercent(k)}</text>` +
        `</g>`,
    );
  });
  parts.push(
    `<line class="axis" x1="${left}" x2="${left}" y1="${top - 4}" y2="${c(bottom)}"/>`,
    `<text class="axis-title" x="${c((left + right) / 2)}" y="${c(height - 8)}" text-anchor="middle">share of non-null rows</text>`,
    legend(CAT_W - 14, 16, 'reference', 'current'),
    '</svg>',
  );
  return parts.join('');
}
