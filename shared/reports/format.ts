/**
 * Escaping and number formatting shared by the HTML reports. Pure string functions: the reports are built
 * in a Lambda and opened from S3, so nothing here may depend on a browser or on Node.
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for both HTML text and (quoted) attribute contexts, inline SVG included. Column names,
 * category values and messages come from uploaded files, so every such string goes through here.
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** Non-finite values print as words rather than vanishing or breaking a layout. */
function nonFinite(x: number): string | undefined {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return '∞';
  if (x === Number.NEGATIVE_INFINITY) return '−∞';
  return undefined;
}

/** "1.50" → "1.5", "2.000" → "2", "1.200e-5" → "1.2e-5"; the zeros carry no information in a report. */
function stripZeros(s: string): string {
  const [mantissa = '', exponent] = s.split('e');
  const m = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
  if (exponent === undefined) return m;
  return `${m}e${exponent.replace(/^\+/, '')}`;
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Sign as a typographic minus: a hyphen next to digits reads as a dash in a table. */
function withMinus(s: string): string {
  return s.startsWith('-') ? `−${s.slice(1)}` : s;
}

/**
 * A measurement at `digits` significant digits: exponent form below 1e-3 and from 1e9, whole numbers
 * with thousands separators from 1e4 (extra digits there are noise, an exponent would be harder to read).
 */
export function formatNumber(x: number, digits = 4): string {
  const word = nonFinite(x);
  if (word !== undefined) return word;
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs < 1e-3 || abs >= 1e9) return withMinus(stripZeros(x.toExponential(digits - 1)));
  if (abs >= 10 ** digits) return withMinus(groupThousands(Math.round(x).toString()));
  return withMinus(stripZeros(x.toPrecision(digits)));
}

/** A signed delta: the "+" makes the direction of a shift visible at a glance. */
export function formatSigned(x: number, digits = 4): string {
  const s = formatNumber(x, digits);
  return x > 0 ? `+${s}` : s;
}

/** Counts are exact integers: grouped, never rounded to significant digits. */
export function formatCount(n: number): string {
  const word = nonFinite(n);
  if (word !== undefined) return word;
  if (!Number.isInteger(n)) return formatNumber(n);
  return withMinus(groupThousands(n.toString()));
}

/**
 * A p-value: 3 significant digits, exponent form below 1e-3 (where the digits after "0.000" matter). An
 * exact 0 is an underflow of the tail probability, not a certainty, so it prints as a bound.
 */
export function formatPValue(p: number): string {
  const word = nonFinite(p);
  if (word !== undefined) return word;
  if (p === 0) return '< 1e-300';
  if (p < 1e-3) return stripZeros(p.toExponential(2));
  return stripZeros(p.toPrecision(3));
}

/** A fraction in [0, 1] as a percentage with up to 3 significant digits; tiny non-zero shares stay visible. */
export function formatPercent(fraction: number): string {
  const word = nonFinite(fraction);
  if (word !== undefined) return word;
  if (fraction === 0) return '0%';
  const pct = fraction * 100;
  if (Math.abs(pct) < 0.01) return pct > 0 ? '< 0.01%' : '> −0.01%';
  const s = Math.abs(pct) >= 100 ? pct.toFixed(0) : stripZeros(pct.toPrecision(3));
  return `${withMinus(s)}%`;
}
