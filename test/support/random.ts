/** A deterministic pseudo-random stream (xorshift32) in [0, 1): tests must not flake. */
export function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** Standard normal draws by Box–Muller over `random(seed)`. */
export function normal(seed: number): () => number {
  const next = random(seed);
  return () => {
    const u = Math.max(next(), Number.MIN_VALUE);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  };
}
