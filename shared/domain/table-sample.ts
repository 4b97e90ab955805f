/**
 * A seeded, deterministic sample of a table's rows across its data files (pure): how many rows each file
 * gives (proportional to its rows, so every row of the table has the same chance), and which of a file's
 * rows. The same seed and the same files always give the same rows, so a retried stage compares with the
 * same sample and writes the same report.
 */

/** FNV-1a (32 bit) of a text: a seed from names (a file id, a version), stable across runs and hosts. */
export function seedOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: small, fast, and good enough to pick rows; not for anything secret. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Splits a sample of `size` rows over files of `rows[i]` rows in proportion to their rows (largest
 * remainder: every share is its exact quota rounded down or up, and the shares add up to `size`). With
 * `size` at or above the table's rows, every file gives all its rows. Ties go to the earlier file, so the
 * split depends on nothing but the inputs.
 */
export function allocateSample(rows: readonly number[], size: number): number[] {
  const counts = rows.map((n) => Math.max(0, Math.floor(n)));
  const total = counts.reduce((a, b) => a + b, 0);
  const want = Math.max(0, Math.floor(size));
  if (want >= total) return counts;
  const quotas = counts.map((n) => (n * want) / total);
  const shares = quotas.map(Math.floor);
  let left = want - shares.reduce((a, b) => a + b, 0);
  const byRemainder = quotas
    .map((q, i) => ({ i, remainder: q - Math.floor(q) }))
    .sort((a, b) => b.remainder - a.remainder || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left === 0) break;
    // A quota below a file's rows rounds up to at most its rows: want < total keeps every quota below.
    shares[i] = (shares[i] ?? 0) + 1;
    left--;
  }
  return shares;
}

/**
 * `k` distinct row indexes of `[0, n)`, ascending, chosen uniformly for `seed` (Floyd's algorithm: k draws
 * whatever n is). All of them when k ≥ n.
 */
export function sampleIndexes(n: number, k: number, seed: number): number[] {
  if (k >= n) return Array.from({ length: Math.max(0, n) }, (_, i) => i);
  if (k <= 0) return [];
  const random = seededRandom(seed);
  const chosen = new Set<number>();
  for (let j = n - k; j < n; j++) {
    const t = Math.floor(random() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}
