/**
 * Records pulled from a database or a REST API → one typed batch, ready to be written as Parquet into
 * fresh/. Column mapping renames fields; a record missing a required column is dropped and counted; a
 * record missing a critical column fails the whole pull (the source changed shape, and writing what is
 * left would hide that). Types are the source's declared ones where it has them (database columns) and
 * otherwise inferred exactly as the pipeline infers a dropped JSONL file, so a pulled file and a dropped
 * file of the same records profile alike.
 */
import { SourceError } from '../errors.js';
import { ColumnInference, convertJson, FAILED, type JsonCell } from './parse/infer.js';
import type { CellValue, ColumnType, RecordBatch, TableSchema } from './table.js';

export interface SourceColumn {
  name: string;
  /**
   * Absent: infer from the values. 64-bit integers are declared so: within ±(2^53 - 1) they are ints,
   * beyond it (snowflake ids) exact text, as the pipeline treats large integer literals everywhere.
   */
  type?: ColumnType | undefined;
}

export interface RecordShaping {
  columnMapping?: Record<string, string> | undefined;
  requiredColumns: readonly string[];
  criticalColumns: readonly string[];
}

export interface ShapedBatch {
  batch: RecordBatch;
  /** Records dropped (required column missing, or a value that does not fit its declared type). */
  failed: number;
  /** Why the first dropped record was dropped (for the run record; holds no values). */
  firstFailure?: string;
}

/** A source value as a JSON cell: dates as ISO text, bytes as base64, nested values as JSON text. */
export function toJsonCell(value: unknown): JsonCell {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value)
        : value.toString();
    case 'boolean':
    case 'string':
      return value;
    case 'object':
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
      if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
      return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    default:
      return String(value);
  }
}

function renamed(record: Record<string, unknown>, mapping: Record<string, string> | undefined) {
  if (mapping === undefined) return record;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) out[mapping[k] ?? k] = v;
  return out;
}

function missing(record: Record<string, unknown>, column: string): boolean {
  const v = record[column];
  return v === undefined || v === null;
}

export function shapeRecords(
  records: readonly Record<string, unknown>[],
  shaping: RecordShaping,
  declared: readonly SourceColumn[] = [],
): ShapedBatch {
  const mapping = shaping.columnMapping;
  const declaredTypes = new Map<string, ColumnType>();
  for (const c of declared) if (c.type !== undefined) declaredTypes.set(mapping?.[c.name] ?? c.name, c.type);
  // Source column order, declared or not.
  const names: string[] = [...new Set(declared.map((c) => mapping?.[c.name] ?? c.name))];
  const seen = new Set(names);

  let failed = 0;
  let firstFailure: string | undefined;
  const criticalMisses = new Map<string, number>();
  const kept: Record<string, JsonCell>[] = [];
  for (const raw of records) {
    const record = renamed(raw, mapping);
    for (const c of shaping.criticalColumns) {
      if (missing(record, c)) criticalMisses.set(c, (criticalMisses.get(c) ?? 0) + 1);
    }
    const lacking = shaping.requiredColumns.find((c) => missing(record, c));
    if (lacking !== undefined) {
      failed++;
      firstFailure ??= `required column "${lacking}" missing`;
      continue;
    }
    const cells: Record<string, JsonCell> = {};
    for (const [k, v] of Object.entries(record)) {
      cells[k] = toJsonCell(v);
      if (!seen.has(k)) {
        seen.add(k);
        names.push(k);
      }
    }
    kept.push(cells);
  }
  if (criticalMisses.size > 0) {
    const detail = [...criticalMisses].map(([c, n]) => `"${c}" in ${n} of ${records.length}`).join(', ');
    throw new SourceError(`critical columns missing: ${detail}; the source changed shape`);
  }

  // Undeclared columns: the JSONL inference (a record without the key counts as null).
  const types = new Map<string, ColumnType>(declaredTypes);
  for (const name of names) {
    if (types.has(name)) continue;
    const inf = new ColumnInference();
    for (const cells of kept) if (name in cells) inf.observeJson(cells[name] ?? null);
    types.set(name, inf.type());
  }

  const columns: CellValue[][] = names.map(() => []);
  let numRows = 0;
  for (const cells of kept) {
    const row: CellValue[] = [];
    let bad: string | undefined;
    for (const name of names) {
      const type = types.get(name) ?? 'string';
      const v = convertJson(cells[name] ?? null, type);
      if (v === FAILED) {
        bad = `a value of "${name}" is not ${type}`;
        break;
      }
      row.push(v);
    }
    if (bad !== undefined) {
      failed++;
      firstFailure ??= bad;
      continue;
    }
    row.forEach((v, i) => {
      columns[i]?.push(v);
    });
    numRows++;
  }

  // Always nullable: whether one batch happened to hold a null says nothing about the next, and a
  // schema that flips between batches would read as a schema change to drift detection.
  const schema: TableSchema = {
    columns: names.map((name) => ({ name, type: types.get(name) ?? 'string', nullable: true })),
  };
  return { batch: { schema, numRows, columns }, failed, ...(firstFailure && { firstFailure }) };
}
