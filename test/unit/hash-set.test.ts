import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FIRST_REPEAT,
  FixedHashSet,
  type HashWidth,
  LATER_REPEAT,
  NEW,
} from '../../shared/domain/hash-set.js';

type Hash = readonly number[];

const keyOf = (hash: Hash, width: HashWidth): string =>
  hash
    .slice(0, width)
    .map((w) => w >>> 0)
    .join(',');

function add(set: FixedHashSet, h: Hash): boolean {
  return set.add(h[0] ?? 0, h[1] ?? 0, h[2] ?? 0, h[3] ?? 0);
}

function has(set: FixedHashSet, h: Hash): boolean {
  return set.has(h[0] ?? 0, h[1] ?? 0, h[2] ?? 0, h[3] ?? 0);
}

const word = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  // Signed words, as Math.imul and fmix32 give them: the set reads them as their unsigned form.
  fc.integer({ min: -0x80000000, max: -1 }),
  fc.constantFrom(0, 1, 64, 0xffffffff),
);
/** Hashes from few distinct words: long probe runs, tag matches between different hashes, wrap-around. */
const crowdedWord = fc.constantFrom(0, 1, 2, 64, 65, 0x80000000, 0xfffffffe, 0xffffffff);

/**
 * A sequence of hashes with repeats: picks from a pool, so later picks repeat earlier ones. Sized 'max':
 * fast-check's default size keeps arrays to about ten elements, too few for the set to grow.
 */
const sequence = (words: fc.Arbitrary<number>, poolSize = 200, picks = 400) =>
  fc
    .tuple(
      fc.array(fc.array(words, { minLength: 4, maxLength: 4 }), {
        minLength: 1,
        maxLength: poolSize,
        size: 'max',
      }),
      fc.array(fc.nat(), { maxLength: picks, size: 'max' }),
    )
    .map(([pool, chosen]) => chosen.map((p) => pool[p % pool.length] as Hash));

describe.each([2, 4] as const)('FixedHashSet of %i-word hashes', (width) => {
  it('lists every distinct hash once, as its unsigned words', () => {
    fc.assert(
      fc.property(fc.oneof(sequence(word), sequence(crowdedWord)), (hashes) => {
        // Prepare
        const set = new FixedHashSet(width);
        for (const h of hashes) add(set, h);

        // Act
        const words = set.hashes();

        // Assess
        const listed: string[] = [];
        for (let i = 0; i < words.length; i += width)
          listed.push([...words.subarray(i, i + width)].join(','));
        const expected = new Set(hashes.map((h) => keyOf(h, width)));
        expect(listed.sort()).toEqual([...expected].sort());
      }),
    );
  });

  it('answers add true exactly for first occurrences, size the distinct count, across growth', () => {
    fc.assert(
      fc.property(
        fc.oneof(sequence(word), sequence(crowdedWord)),
        fc.nat({ max: 300 }),
        (hashes, expected) => {
          const set = new FixedHashSet(width, expected);
          const seen = new Set<string>();
          for (const h of hashes) {
            const key = keyOf(h, width);
            expect(add(set, h)).toBe(!seen.has(key));
            seen.add(key);
            expect(set.size).toBe(seen.size);
          }
          for (const h of hashes) expect(has(set, h)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('has only what was added', () => {
    fc.assert(
      fc.property(sequence(crowdedWord), sequence(crowdedWord), (added, probed) => {
        const set = new FixedHashSet(width);
        for (const h of added) add(set, h);
        const keys = new Set(added.map((h) => keyOf(h, width)));
        for (const h of probed) expect(has(set, h)).toBe(keys.has(keyOf(h, width)));
      }),
      { numRuns: 100 },
    );
  });

  it('counts each hash as NEW, then FIRST_REPEAT, then LATER_REPEAT, across growth', () => {
    fc.assert(
      // A pool of at most 60 hashes among 600 picks: most repeat two or more times, before and after a doubling.
      fc.property(fc.oneof(sequence(word, 60, 600), sequence(crowdedWord, 60, 600)), (hashes) => {
        const set = new FixedHashSet(width);
        const counts = new Map<string, number>();
        for (const h of hashes) {
          const key = keyOf(h, width);
          const before = counts.get(key) ?? 0;
          const want = before === 0 ? NEW : before === 1 ? FIRST_REPEAT : LATER_REPEAT;
          expect(set.addCounted(h[0] ?? 0, h[1] ?? 0, h[2] ?? 0, h[3] ?? 0)).toBe(want);
          counts.set(key, before + 1);
        }
        expect(set.size).toBe(counts.size);
      }),
      { numRuns: 100 },
    );
  });

  it('remembers a repeat through a doubling', () => {
    const set = new FixedHashSet(width);
    expect(set.addCounted(5, 6, 7, 8)).toBe(NEW);
    expect(set.addCounted(5, 6, 7, 8)).toBe(FIRST_REPEAT);
    for (let k = 1; k <= 100; k++) set.add(k, k, k, k);
    expect(set.addCounted(5, 6, 7, 8)).toBe(LATER_REPEAT);
  });

  it('keeps 200 000 random hashes with a fifth repeated, through many doublings', () => {
    let state = 0x2545f491;
    const next = () => {
      state = (Math.imul(state, 1664525) + 1013904223) | 0;
      return state;
    };
    const hashes: Hash[] = [];
    for (let k = 0; k < 200_000; k++) {
      const repeat = k > 0 && (next() >>> 0) % 5 === 0;
      hashes.push(repeat ? (hashes[(next() >>> 0) % k] as Hash) : [next(), next(), next(), next()]);
    }
    const set = new FixedHashSet(width);
    const seen = new Set<string>();
    let mismatches = 0;
    for (const h of hashes) {
      const key = keyOf(h, width);
      if (add(set, h) === seen.has(key)) mismatches++;
      seen.add(key);
    }
    expect(mismatches).toBe(0);
    expect(set.size).toBe(seen.size);
  });

  it('wraps probe runs past the end of the table, through growth', () => {
    // A first word of 2^32 - 1 has the last slot for home, so every other such hash wraps to slot 0 on.
    const set = new FixedHashSet(width);
    for (let k = 0; k < 100; k++) {
      expect(set.add(0xffffffff, k, k, k)).toBe(true);
      // Right after each add, which may have doubled the table, before a later add can fill a gap.
      for (let j = 0; j <= k; j++) expect(set.has(0xffffffff, j, j, j)).toBe(true);
    }
    for (let k = 0; k < 100; k++) expect(set.add(0xffffffff, k, k, k)).toBe(false);
    expect(set.has(0xffffffff, 100, 100, 100)).toBe(false);
    expect(set.size).toBe(100);
  });

  it('stores the all-zero hash like any other', () => {
    const set = new FixedHashSet(width);
    expect(set.add(0, 0, 0, 0)).toBe(true);
    expect(set.add(0, 1, 0, 0)).toBe(true);
    expect(set.add(0, 0, 0, 0)).toBe(false);
    expect(set.has(0, 0, 0, 0)).toBe(true);
    expect(set.size).toBe(2);
  });
});

describe('FixedHashSet', () => {
  it('takes a signed word for its unsigned form', () => {
    const set = new FixedHashSet(2);
    set.add(-1, -2);
    expect(set.has(0xffffffff, 0xfffffffe)).toBe(true);
    expect(set.add(0xffffffff, 0xfffffffe)).toBe(false);
  });

  it('tells 128-bit hashes apart by their last words', () => {
    const set = new FixedHashSet(4);
    expect(set.add(7, 7, 7, 1)).toBe(true);
    expect(set.add(7, 7, 7, 2)).toBe(true);
    expect(set.add(7, 7, 1, 1)).toBe(true);
    expect(set.size).toBe(3);
  });

  it('holds only 2- or 4-word hashes', () => {
    expect(() => new FixedHashSet(3 as HashWidth)).toThrow(RangeError);
  });
});
