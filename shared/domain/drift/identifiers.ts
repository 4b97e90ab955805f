/**
 * Which columns are identifiers, and so left out of drift. An auto-increment id or a row key has no
 * distribution: each new file brings new values by construction, so comparing it flags every file
 * (a KS statistic of 1 for ids that continue where the reference stopped) and recommends retraining on
 * what is only bookkeeping.
 *
 * The rule, applied only to columns with the same kind on both sides and only to feature columns (a
 * label or prediction column is never guessed away):
 *
 *   identifier ⇔ on BOTH sides every non-null value is unique, AND
 *                (the name says identifier, with at least MIN_NAMED_VALUES values per side
 *                 OR the values are strictly monotonic in file order, int or string columns only, with
 *                 at least MIN_ORDERED_VALUES values per side).
 *
 * Why this shape:
 * - Uniqueness is necessary, not sufficient: a repeated `store_id` is a foreign key whose mix of values is a
 *   real distribution worth watching, and many unique columns are measurements (a price to the cent, a
 *   float reading). Uniqueness is read from the values a side kept (all of them up to the collector's
 *   limit, a uniform sample past it) and, for strings, from the counted categories.
 * - A name alone would exclude a `paid` or `valid` column, so names are matched as words (`id`, `*_id`,
 *   `*Id`, `uuid`, `key`, …), and still need uniqueness.
 * - Order alone catches ids with other names (`seq`, `row_number`, an integer epoch). Strict monotonicity
 *   implies uniqueness, and by chance it is vanishingly rare: 2/n! for n distinct values in random order,
 *   under 1e-6 at n = 10, squared again by asking it of both sides. Floats are left out of this path
 *   because a file sorted by a measurement (an export ordered by amount) would otherwise lose that
 *   measurement; a float id still qualifies by its name.
 * - Both sides must agree: a column that is an identifier in one file and not in the other is not behaving
 *   like one, and that difference is worth a comparison.
 * The remaining mistake, a real feature that is unique and sorted in both files, is why the report lists
 * every excluded column with its evidence, and why the drift settings can switch inference off
 * (`infer_identifiers: false`) and name identifiers explicitly (`identifier_columns`).
 */
import type { ColumnType } from '../table.js';

/** Values a side needs before a unique, identifier-named column is taken for an identifier. */
export const MIN_NAMED_VALUES = 2;
/** Values a side needs before order alone makes a unique column an identifier (see above). */
export const MIN_ORDERED_VALUES = 10;

const ID_WORD = '(?:id|uuid|guid|key|pk)';
/** `id`, `uuid`, … alone, or as the last or (for id/uuid/guid) first word of a separated name. */
const SEPARATED = new RegExp(`^${ID_WORD}$|[_\\-\\s.]${ID_WORD}$|^(?:id|uuid|guid)[_\\-\\s.]`, 'i');
/** camelCase and PascalCase: `customerId`, `customerID`, `primaryKey`; lower case before the word. */
const CAMEL = /[a-z0-9](?:Id|ID|Uuid|UUID|Guid|GUID|Key|KEY|Pk|PK)$/;

/** Whether a column's name reads as an identifier's: whole words only, so `paid` and `monkey` do not. */
export function isIdentifierName(name: string): boolean {
  return SEPARATED.test(name) || CAMEL.test(name);
}

export type ValueOrder = 'increasing' | 'decreasing' | 'none';

/** What one side's collector learned about a column that bears on it being an identifier. */
export interface IdentifierEvidence {
  /** Non-null values the side had. */
  values: number;
  /** No value seen twice among those the side kept (see the rule above). */
  unique: boolean;
  /** Strict order of the non-null values in file order; `none` once two break it (or a repeat). */
  order: ValueOrder;
}

/** Streaming strict-order tracker: two flags, so a value costs two comparisons. */
export interface OrderTracker<T> {
  last: T | undefined;
  increasing: boolean;
  decreasing: boolean;
}

export function newOrderTracker<T>(): OrderTracker<T> {
  return { last: undefined, increasing: true, decreasing: true };
}

export function trackOrder<T extends number | string>(tracker: OrderTracker<T>, value: T): void {
  const last = tracker.last;
  if (last !== undefined) {
    if (!(value > last)) tracker.increasing = false;
    if (!(value < last)) tracker.decreasing = false;
  }
  tracker.last = value;
}

export function orderOf(tracker: OrderTracker<unknown>): ValueOrder {
  if (tracker.increasing) return 'increasing';
  if (tracker.decreasing) return 'decreasing';
  return 'none';
}

/**
 * The evidence that makes a column an identifier under the rule above, in words, or undefined when it
 * is not one. The caller has checked that the column is a feature present on both sides.
 */
export function inferIdentifier(
  name: string,
  type: ColumnType,
  reference: IdentifierEvidence,
  current: IdentifierEvidence,
): string | undefined {
  if (type !== 'int' && type !== 'string' && type !== 'float') return undefined;
  const sides = [reference, current];
  if (type !== 'float' && sides.every((s) => s.order !== 'none' && s.values >= MIN_ORDERED_VALUES)) {
    const direction = reference.order === current.order ? reference.order : 'monotonic';
    return `every value unique and ${direction} in file order on both sides`;
  }
  if (isIdentifierName(name) && sides.every((s) => s.unique && s.values >= MIN_NAMED_VALUES)) {
    return 'every value unique on both sides, and named like an identifier';
  }
  return undefined;
}
