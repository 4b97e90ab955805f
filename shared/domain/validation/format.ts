/**
 * How reports say things. Messages are read by people deciding whether to fix a file or a suite, so they
 * name the column, the counts, the rule and a few offending values in one line.
 */
import type { CellValue, ColumnType } from '../table.js';

/** Longest string kept as a sample: a report must stay small even when a cell holds a document. */
export const MAX_SAMPLE_CHARS = 200;
/** Longest string shown in a message. */
const MAX_MESSAGE_CHARS = 40;

export function quote(name: string): string {
  return JSON.stringify(name);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * The value a report keeps for a violating cell: JSON has no NaN or Infinity (they would turn into
 * null, which reads as "missing"), -0 is 0, and long strings are cut.
 */
export function sampleOf(v: CellValue): CellValue {
  // -0 would print as 0 in JSON anyway; normalising keeps 0 and -0 from being two distinct samples.
  if (typeof v === 'number') return Number.isFinite(v) ? v + 0 : String(v);
  if (typeof v === 'string') return truncate(v, MAX_SAMPLE_CHARS);
  return v;
}

/** Distinct violating values, at most `limit`; the cost is paid only for violating cells. */
export class Samples {
  readonly values: CellValue[] = [];
  constructor(private readonly limit: number) {}

  offer(v: CellValue): void {
    if (this.values.length >= this.limit) return;
    const s = sampleOf(v);
    if (!this.values.includes(s)) this.values.push(s);
  }
}

export function isoOf(epochMs: number): string {
  return Number.isFinite(epochMs) ? new Date(epochMs).toISOString() : String(epochMs);
}

/** A cell as a message shows it: timestamps as ISO, strings quoted, NaN and Infinity bare. */
export function showValue(v: CellValue, type?: ColumnType): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return type === 'timestamp' ? isoOf(v) : String(v);
  // A numeric column's non-finite samples are stored as strings ('NaN'): show them as numbers.
  if (typeof v === 'string')
    return type === 'string' || type === undefined ? quote(truncate(v, MAX_MESSAGE_CHARS)) : v;
  return String(v);
}

/** A computed statistic: six significant digits are plenty to read, the report keeps full precision. */
export function showStat(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

/**
 * A fraction as a percentage that never reads 0% or 100% when it is not: one decimal from 1% up,
 * two significant digits below (0.3%, 0.0012%).
 */
export function percent(fraction: number): string {
  const p = fraction * 100;
  if (p === 0 || p === 100) return `${p}%`;
  if (p < 1) return `${Number(p.toPrecision(2))}%`;
  const rounded = Math.round(p * 10) / 10;
  return `${rounded >= 100 ? 99.9 : rounded}%`;
}

/** `3 of 1000 rows (0.3%)`; the percentage is left out when there are no rows. */
export function rowsPhrase(failed: number, total: number): string {
  return total > 0 ? `${failed} of ${total} rows (${percent(failed / total)})` : `${failed} of ${total} rows`;
}

/** `, e.g. -4, 212` or nothing. */
export function examples(samples: readonly CellValue[], show: (v: CellValue) => string): string {
  return samples.length > 0 ? `, e.g. ${samples.map(show).join(', ')}` : '';
}

/** `[0, 120]`, `(0, 120)`, `[0, 120)`, `[0, ∞)`: unbounded sides are open; `inclusive` for both or per side. */
export function interval(
  min: number | undefined,
  max: number | undefined,
  inclusive: boolean | readonly [boolean, boolean],
  show: (v: number) => string,
): string {
  const [loInclusive, hiInclusive] = typeof inclusive === 'boolean' ? [inclusive, inclusive] : inclusive;
  const lo = min === undefined ? '(-∞' : `${loInclusive ? '[' : '('}${show(min)}`;
  const hi = max === undefined ? '∞)' : `${show(max)}${hiInclusive ? ']' : ')'}`;
  return `${lo}, ${hi}`;
}

/** A list for a message, cut after `limit` items with a count of the rest. */
export function listOf(items: readonly string[], limit: number): string {
  const shown = items.slice(0, Math.max(1, limit));
  const rest = items.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}
