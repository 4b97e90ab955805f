/** The noise estimate: MAD of first differences, by an in-place selection (no sort, no copy). */
import type { NoiseEstimate } from './types.js';

/** Φ⁻¹(0.75): MAD / 0.6745 estimates a normal standard deviation; √2 undoes the differencing. */
const MAD_TO_SIGMA = 0.6745 * Math.SQRT2;

/** The k-th smallest (0-based) of a[0..n), by quickselect (Hoare partition, median-of-three pivot). */
function selectInPlace(a: Float64Array, n: number, k: number): number {
  let left = 0;
  let right = n - 1;
  while (right > left) {
    const mid = (left + right) >>> 1;
    // Median of three: sorted and constant inputs (common for differences) stay linear.
    if ((a[mid] as number) < (a[left] as number)) swap(a, mid, left);
    if ((a[right] as number) < (a[left] as number)) swap(a, right, left);
    if ((a[right] as number) < (a[mid] as number)) swap(a, right, mid);
    const pivot = a[mid] as number;
    let i = left;
    let j = right;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k] as number;
  }
  return a[k] as number;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i] as number;
  a[i] = a[j] as number;
  a[j] = t;
}

/** Median of a[0..n), n ≥ 1; reorders a. */
function medianInPlace(a: Float64Array, n: number): number {
  const half = n >>> 1;
  if (n % 2 === 1) return selectInPlace(a, n, half);
  const lower = selectInPlace(a, n, half - 1);
  // After the selection everything from `half` on is ≥ lower; its minimum is the upper middle.
  let upper = Number.POSITIVE_INFINITY;
  for (let i = half; i < n; i++) if ((a[i] as number) < upper) upper = a[i] as number;
  return (lower + upper) / 2;
}

/** Noise from the n first differences in d (overwritten): MAD / (0.6745·√2), robust to steps and trends. */
export function noiseOf(d: Float64Array, n: number, std: number): NoiseEstimate {
  const center = medianInPlace(d, n);
  for (let i = 0; i < n; i++) d[i] = Math.abs((d[i] as number) - center);
  const sigma = medianInPlace(d, n) / MAD_TO_SIGMA;
  return { sigma, ratio: sigma / std };
}
