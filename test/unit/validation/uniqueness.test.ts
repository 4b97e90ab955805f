import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CellValue, ColumnType, RecordBatch } from '../../../shared/domain/table.js';
import {
  createValidator,
  mergeValidation,
  type ValidationReport,
  validationSuiteSchema,
} from '../../../shared/domain/validation/index.js';
import { NOW, schemaOf } from './helpers.js';

const suite = validationSuiteSchema.parse({ checks: [{ type: 'uniqueness', columns: ['k'] }] });

function batches(type: ColumnType, values: CellValue[], size: number): RecordBatch[] {
  const schema = schemaOf({ k: `${type}?` });
  const out: RecordBatch[] = [];
  for (let at = 0; at < values.length; at += size) {
    const part = values.slice(at, at + size);
    out.push({ schema, numRows: part.length, columns: [part] });
  }
  return out;
}

/** The check's outcome computed the plain way: a Map (SameValueZero: NaN is NaN, -0 is 0) of key counts. */
function reference(values: readonly CellValue[], limit = 5) {
  const counts = new Map<CellValue, number>();
  const samples: CellValue[] = [];
  let repeats = 0;
  let duplicatedKeys = 0;
  let nulls = 0;
  for (const v of values) {
    if (v === null) {
      nulls++;
      continue;
    }
    const seen = counts.get(v) ?? 0;
    counts.set(v, seen + 1);
    if (seen === 0) continue;
    repeats++;
    if (seen > 1) continue;
    duplicatedKeys++;
    const sample =
      typeof v === 'number' && !Number.isFinite(v) ? String(v) : typeof v === 'number' ? v + 0 : v;
    if (samples.length < limit && !samples.includes(sample)) samples.push(sample);
  }
  return {
    failedRows: repeats,
    samples,
    observed: { distinctKeys: counts.size, duplicatedKeys, rowsWithNullKey: nulls },
  };
}

const outcome = (report: ValidationReport) => {
  const [check] = report.checks;
  return { failedRows: check?.failedRows, samples: check?.samples, observed: check?.observed };
};

/** Keys that ascend for a while (ids), then anything: the fast path's start, its end, and the rest. */
function keysOf<T>(value: fc.Arbitrary<T>, sort: (a: T, b: T) => number) {
  return fc
    .tuple(fc.array(value, { maxLength: 80 }), fc.array(value, { maxLength: 40 }), fc.boolean())
    .chain(([head, tail, unique]) => {
      const sorted = [...head].sort(sort);
      const ascending = unique
        ? sorted.filter((v, i) => i === 0 || sort(sorted[i - 1] as T, v) !== 0)
        : sorted;
      const keys = [...ascending, ...tail];
      return fc.array(fc.nat({ max: Math.max(0, keys.length) }), { maxLength: 6 }).map((holes) => {
        const out: (T | null)[] = [...keys];
        for (const at of holes.sort((a, b) => b - a)) out.splice(at, 0, null);
        return out;
      });
    });
}

const numbers = keysOf(
  fc.oneof(
    { weight: 10, arbitrary: fc.integer({ min: -30, max: 30 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(Number.NaN, -0, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY),
    },
  ),
  (a, b) => (a < b ? -1 : a > b ? 1 : 0),
);
const strings = keysOf(fc.string({ maxLength: 3 }), (a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe('uniqueness check', () => {
  for (const [type, arb] of [
    ['int', numbers],
    ['string', strings],
  ] as const) {
    it(`counts repeats, duplicated keys and samples as a plain key count does (${type} keys)`, () => {
      fc.assert(
        fc.property(arb, fc.integer({ min: 1, max: 30 }), (values, size) => {
          // Prepare
          const validator = createValidator(suite, schemaOf({ k: `${type}?` }), { now: NOW });

          // Act
          for (const batch of batches(type, values, size)) validator.add(batch);

          // Assess
          expect(outcome(validator.report())).toEqual(reference(values));
        }),
        { numRuns: 300 },
      );
    });

    it(`merges chunks of ascending and unordered keys into the file's outcome (${type} keys)`, () => {
      fc.assert(
        fc.property(arb, fc.array(fc.nat(), { minLength: 1, maxLength: 9 }), (values, cuts) => {
          // Prepare
          const schema = schemaOf({ k: `${type}?` });
          const bounds = [...new Set(cuts.map((c) => c % (values.length + 1)))].sort((a, b) => a - b);
          const edges = [0, ...bounds, values.length];
          const partials = edges.slice(1).map((end, i) => {
            const validator = createValidator(suite, schema, { now: NOW, mergeable: true });
            for (const batch of batches(type, values.slice(edges[i], end), 4)) validator.add(batch);
            return validator.partial();
          });

          // Act
          const merge = mergeValidation(suite, schema, { now: NOW }, partials);
          for (let rows = merge.pendingRows(); rows.length > 0; rows = merge.pendingRows()) {
            merge.supply(new Map(rows.map((r) => [r, [values[r] ?? null]])));
          }

          // Assess
          expect(outcome(merge.report())).toEqual(reference(values));
        }),
        { numRuns: 200 },
      );
    });
  }
});
