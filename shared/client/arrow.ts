/**
 * Arrow tables in memory, and the conversions between them and strata's own shape (domain/table.ts:
 * a TableSchema and column-major RecordBatches), so code that holds an Arrow table can hand it to strata and
 * get strata's data back as Arrow.
 *
 * Type mapping (strata → Arrow): int → Int64, float → Float64, bool → Bool, string → Utf8, timestamp →
 * Timestamp(MICROSECOND, "UTC") — the types strata's Parquet files and a Delta table's columns have.
 * Strata's values are JavaScript numbers (an int column holds safe integers, a timestamp is epoch
 * milliseconds), so Int64 is filled from numbers and a timestamp's milliseconds are stored ×1000.
 *
 * Reading any Arrow table (Arrow → strata): every integer type → int (a 64-bit value beyond ±2^53 is
 * refused rather than rounded), Float16/32/64 → float (NaN → null), Bool → bool, Utf8 / LargeUtf8 /
 * dictionary-encoded strings → string, Timestamp of any unit and Date → timestamp (sub-millisecond digits
 * floored, as the pipeline's Parquet reader does). Other types (lists, structs, binary, decimals) are
 * refused with the column's name: the caller casts them.
 *
 * Row objects and column maps get their types inferred the way the pipeline infers a JSON file's
 * (domain/parse/infer.ts), so the client and the pipeline agree: integral numbers are int, other numbers
 * float, an int and a float make a float column, ISO 8601 strings are timestamps, and values with no common
 * type make a string column. A Date is a timestamp; a bigint within ±2^53 an int, beyond it text; objects
 * and arrays become JSON text, as the pipeline stores nested JSON.
 */
import {
  RecordBatch as ArrowRecordBatch,
  Bool,
  type DataType,
  Field,
  Float64,
  Int64,
  makeData,
  makeVector,
  Schema,
  Struct,
  Table,
  TimestampMicrosecond,
  TimeUnit,
  Type,
  Utf8,
  type Vector,
} from 'apache-arrow';
import { ColumnInference, convertJson, FAILED, type JsonCell, joinKinds } from '../domain/parse/infer.js';
import type { CellValue, ColumnSchema, ColumnType, RecordBatch, TableSchema } from '../domain/table.js';
import { InvalidInputError } from '../errors.js';

/** A row: column name → value (missing keys are nulls). */
export type RowObject = Readonly<Record<string, unknown>>;
/** Columns by name, each an array of values, all of one length. */
export type ColumnMap = Readonly<Record<string, ArrayLike<unknown>>>;
/** What the SDK takes as data: an Arrow table, row objects, or a column map. */
export type TableInput = Table | readonly RowObject[] | ColumnMap;

export interface ToArrowOptions {
  /**
   * The types to convert to instead of inferring them: every column of the data must be named, in the
   * order the table should have. A value that does not convert (text in an int column) throws.
   */
  schema?: TableSchema;
}

/** The Arrow type strata writes for a column type. */
export function arrowTypeOf(type: ColumnType): DataType {
  switch (type) {
    case 'int':
      return new Int64();
    case 'float':
      return new Float64();
    case 'bool':
      return new Bool();
    case 'string':
      return new Utf8();
    case 'timestamp':
      return new TimestampMicrosecond('UTC');
  }
}

/** The strata type an Arrow type reads as, or undefined when strata has none for it. */
export function columnTypeOfArrow(type: DataType): ColumnType | undefined {
  switch (type.typeId) {
    case Type.Int:
    case Type.Int8:
    case Type.Int16:
    case Type.Int32:
    case Type.Int64:
    case Type.Uint8:
    case Type.Uint16:
    case Type.Uint32:
    case Type.Uint64:
      return 'int';
    case Type.Float:
    case Type.Float16:
    case Type.Float32:
    case Type.Float64:
      return 'float';
    case Type.Bool:
      return 'bool';
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Utf8View:
      return 'string';
    case Type.Timestamp:
    case Type.TimestampSecond:
    case Type.TimestampMillisecond:
    case Type.TimestampMicrosecond:
    case Type.TimestampNanosecond:
    case Type.Date:
    case Type.DateDay:
    case Type.DateMillisecond:
      return 'timestamp';
    case Type.Dictionary:
      return columnTypeOfArrow((type as unknown as { dictionary: DataType }).dictionary) === 'string'
        ? 'string'
        : undefined;
    case Type.Null:
      // A column of nulls only: strata's type for a column with no values.
      return 'string';
    default:
      return undefined;
  }
}

/** The Arrow schema of a strata schema (strata's canonical types). */
export function arrowSchemaOf(schema: TableSchema): Schema {
  return new Schema(schema.columns.map((c) => new Field(c.name, arrowTypeOf(c.type), c.nullable)));
}

/** The strata schema an Arrow schema reads as; throws InvalidInputError naming a column strata cannot hold. */
export function tableSchemaOf(schema: Schema): TableSchema {
  const names = new Set<string>();
  return {
    columns: schema.fields.map((field) => {
      if (names.has(field.name)) throw new InvalidInputError(`duplicate column "${field.name}"`);
      names.add(field.name);
      const type = columnTypeOfArrow(field.type);
      if (type === undefined) {
        throw new InvalidInputError(
          `column "${field.name}" has Arrow type ${String(field.type)}, which strata does not store: cast it to an integer, float, bool, string or timestamp type`,
          [{ path: field.name, message: `unsupported Arrow type ${String(field.type)}` }],
        );
      }
      return { name: field.name, type, nullable: field.nullable || field.type.typeId === Type.Null };
    }),
  };
}

// ---------------------------------------------------------------------------------------------------------
// strata → Arrow

function validityOf(values: ArrayLike<CellValue>, length: number): { bitmap: Uint8Array; nulls: number } {
  const bitmap = new Uint8Array((length + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < length; i++) {
    if (values[i] === null || values[i] === undefined) nulls++;
    else bitmap[i >> 3] = (bitmap[i >> 3] ?? 0) | (1 << (i & 7));
  }
  return { bitmap, nulls };
}

function badCell(column: ColumnSchema, row: number, value: unknown): InvalidInputError {
  const what =
    value === null ? 'null in a column that is not nullable' : `expected ${column.type}, got ${typeof value}`;
  return new InvalidInputError(`column "${column.name}" row ${row}: ${what}`, [
    { path: `${column.name}[${row}]`, message: what },
  ]);
}

const encoder = new TextEncoder();

/**
 * A string column as Arrow's Utf8 buffers (offsets, bytes), ASCII copied byte by byte: a builder, or
 * `encodeInto` per cell, costs several times more for the short strings most columns hold.
 */
function utf8Of(
  column: ColumnSchema,
  values: ArrayLike<CellValue>,
  length: number,
): { valueOffsets: Int32Array; data: Uint8Array } {
  const valueOffsets = new Int32Array(length + 1);
  let data = new Uint8Array(Math.max(1024, length * 16));
  let at = 0;
  for (let i = 0; i < length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) {
      if (typeof v !== 'string') throw badCell(column, i, v);
      // At most 3 bytes per UTF-16 code unit.
      if (at + v.length * 3 > data.length) {
        const grown = new Uint8Array(Math.max(data.length * 2, at + v.length * 3));
        grown.set(data.subarray(0, at));
        data = grown;
      }
      let ascii = true;
      for (let k = 0; k < v.length; k++) {
        const c = v.charCodeAt(k);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        data[at + k] = c;
      }
      at += ascii ? v.length : encoder.encodeInto(v, data.subarray(at)).written;
      if (at > 0x7fffffff)
        throw new InvalidInputError(`column "${column.name}" holds over 2 GiB of text in one batch`);
    }
    valueOffsets[i + 1] = at;
  }
  return { valueOffsets, data: data.subarray(0, at) };
}

/** One strata column as an Arrow vector of its canonical type; throws on a value that breaks the schema. */
export function arrowVectorOf(
  column: ColumnSchema,
  values: readonly CellValue[],
  length = values.length,
): Vector {
  const type = arrowTypeOf(column.type);
  const { bitmap, nulls } = validityOf(values, length);
  if (nulls > 0 && !column.nullable) {
    const row = Array.prototype.findIndex.call(values, (v) => v === null || v === undefined);
    throw badCell(column, row, null);
  }
  const nullBitmap = nulls > 0 ? bitmap : undefined;
  switch (column.type) {
    case 'int':
    case 'timestamp': {
      const scale = column.type === 'timestamp' ? 1000n : 1n;
      const data = new BigInt64Array(length);
      for (let i = 0; i < length; i++) {
        const v = values[i];
        if (v === null || v === undefined) continue;
        if (
          typeof v !== 'number' ||
          !(column.type === 'int' ? Number.isSafeInteger(v) : Number.isInteger(v))
        ) {
          throw badCell(column, i, v);
        }
        // bigint arithmetic: ms × 1000 leaves the safe-integer range for instants past the year 2255.
        data[i] = BigInt(v) * scale;
      }
      return makeVector(makeData({ type: type as Int64, length, nullCount: nulls, nullBitmap, data }));
    }
    case 'float': {
      const data = new Float64Array(length);
      for (let i = 0; i < length; i++) {
        const v = values[i];
        if (v === null || v === undefined) continue;
        if (typeof v !== 'number') throw badCell(column, i, v);
        data[i] = v;
      }
      return makeVector(makeData({ type: type as Float64, length, nullCount: nulls, nullBitmap, data }));
    }
    case 'bool': {
      const data = new Uint8Array((length + 7) >> 3);
      for (let i = 0; i < length; i++) {
        const v = values[i];
        if (v === null || v === undefined) continue;
        if (typeof v !== 'boolean') throw badCell(column, i, v);
        if (v) data[i >> 3] = (data[i >> 3] ?? 0) | (1 << (i & 7));
      }
      return makeVector(makeData({ type: type as Bool, length, nullCount: nulls, nullBitmap, data }));
    }
    case 'string': {
      const { valueOffsets, data } = utf8Of(column, values, length);
      return makeVector(
        makeData({ type: type as Utf8, length, nullCount: nulls, nullBitmap, valueOffsets, data }),
      );
    }
  }
}

/** One strata batch as an Arrow record batch of the canonical types. */
export function arrowBatchOf(
  batch: RecordBatch,
  arrowSchema = arrowSchemaOf(batch.schema),
): ArrowRecordBatch {
  const children = batch.schema.columns.map((c, i) => {
    const data = arrowVectorOf(c, batch.columns[i] ?? [], batch.numRows).data[0];
    if (!data) throw new InvalidInputError(`column "${c.name}" produced no data`);
    return data;
  });
  const struct = makeData({
    type: new Struct(arrowSchema.fields),
    length: batch.numRows,
    nullCount: 0,
    children,
  });
  return new ArrowRecordBatch(arrowSchema, struct);
}

/** An Arrow table holding `batches` (each of `schema`), one Arrow record batch per strata batch. */
export function arrowTableFrom(schema: TableSchema, batches: Iterable<RecordBatch>): Table {
  const arrowSchema = arrowSchemaOf(schema);
  const out: ArrowRecordBatch[] = [];
  for (const batch of batches) {
    if (
      batch.schema.columns.length !== schema.columns.length ||
      batch.schema.columns.some(
        (c, i) => c.name !== schema.columns[i]?.name || c.type !== schema.columns[i]?.type,
      )
    ) {
      throw new InvalidInputError('record batch does not match the table schema');
    }
    out.push(arrowBatchOf({ ...batch, schema }, arrowSchema));
  }
  return new Table(arrowSchema, out);
}

// ---------------------------------------------------------------------------------------------------------
// Arrow → strata

const MS_PER_UNIT: Record<TimeUnit, bigint> = {
  [TimeUnit.SECOND]: -1000n,
  [TimeUnit.MILLISECOND]: 1n,
  [TimeUnit.MICROSECOND]: 1000n,
  [TimeUnit.NANOSECOND]: 1_000_000n,
};

/** Floor division (BigInt `/` truncates toward zero, which would move pre-1970 instants forward). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function unsafeInteger(name: string, value: bigint): InvalidInputError {
  return new InvalidInputError(
    `column "${name}" holds ${value}, beyond ±2^53: strata's int columns hold safe integers (cast the column to a string or float)`,
    [{ path: name, message: 'integer beyond ±2^53' }],
  );
}

/** The cells of one Arrow column (a record batch's child) as strata values of `column.type`. */
function cellsOf(column: ColumnSchema, vector: Vector): CellValue[] {
  const out = new Array<CellValue>(vector.length);
  const type = vector.type as DataType;
  let row = 0;
  for (const data of vector.data) {
    const n = data.length;
    const hasNulls = data.nullCount > 0;
    const values = data.values as ArrayLike<number | bigint> | undefined;
    switch (type.typeId) {
      case Type.Int:
      case Type.Int8:
      case Type.Int16:
      case Type.Int32:
      case Type.Int64:
      case Type.Uint8:
      case Type.Uint16:
      case Type.Uint32:
      case Type.Uint64:
      case Type.Float:
      case Type.Float16:
      case Type.Float32:
      case Type.Float64: {
        if (!values) throw new InvalidInputError(`column "${column.name}" has no values buffer`);
        const isFloat16 =
          type.typeId === Type.Float16 ||
          (type.typeId === Type.Float && 'precision' in type && type.precision === 0);
        for (let i = 0; i < n; i++) {
          if (hasNulls && !data.getValid(i)) {
            out[row + i] = null;
            continue;
          }
          if (isFloat16) {
            out[row + i] = vector.get(row + i) as number;
            continue;
          }
          const v = values[i] as number | bigint;
          if (typeof v === 'bigint') {
            if (v > 9007199254740991n || v < -9007199254740991n) throw unsafeInteger(column.name, v);
            out[row + i] = Number(v);
          } else {
            out[row + i] = column.type === 'float' && Number.isNaN(v) ? null : v;
          }
        }
        break;
      }
      case Type.Timestamp:
      case Type.TimestampSecond:
      case Type.TimestampMillisecond:
      case Type.TimestampMicrosecond:
      case Type.TimestampNanosecond: {
        const unit = (type as unknown as { unit: TimeUnit }).unit;
        const per = MS_PER_UNIT[unit];
        const raw = values as BigInt64Array;
        for (let i = 0; i < n; i++) {
          if (hasNulls && !data.getValid(i)) {
            out[row + i] = null;
            continue;
          }
          const v = raw[i] ?? 0n;
          const ms = per < 0n ? v * -per : per === 1n ? v : floorDiv(v, per);
          out[row + i] = Number(ms);
        }
        break;
      }
      default: {
        for (let i = 0; i < n; i++) {
          const v = vector.get(row + i) as unknown;
          out[row + i] = v === null || v === undefined ? null : (v as CellValue);
        }
      }
    }
    row += n;
  }
  if (type.typeId === Type.Date || type.typeId === Type.DateDay || type.typeId === Type.DateMillisecond) {
    // Arrow reads a date as epoch milliseconds already (or a Date): strata's timestamp.
    for (let i = 0; i < out.length; i++) {
      const v = out[i] as unknown;
      if (v instanceof Date) out[i] = v.getTime();
    }
  }
  return out;
}

/**
 * The table's rows as strata record batches, one per Arrow record batch (an empty table gives none), with
 * the schema `tableSchemaOf(table.schema)`. Throws InvalidInputError for a column strata cannot hold.
 */
export function* recordBatchesOf(table: Table): Generator<RecordBatch> {
  const schema = tableSchemaOf(table.schema);
  for (const batch of table.batches) {
    if (batch.numRows === 0) continue;
    yield {
      schema,
      numRows: batch.numRows,
      columns: schema.columns.map((c, i) => {
        const child = batch.getChildAt(i);
        if (!child) throw new InvalidInputError(`record batch lacks column "${c.name}"`);
        return cellsOf(c, child);
      }),
    };
  }
}

/** All of a table's rows as one strata batch (small tables, tests). */
export function recordBatchOf(table: Table): RecordBatch {
  const schema = tableSchemaOf(table.schema);
  const columns: CellValue[][] = schema.columns.map(() => []);
  let numRows = 0;
  for (const batch of recordBatchesOf(table)) {
    batch.columns.forEach((cells, i) => {
      const into = columns[i];
      if (into) for (const v of cells) into.push(v);
    });
    numRows += batch.numRows;
  }
  return { schema, numRows, columns };
}

// ---------------------------------------------------------------------------------------------------------
// Any input → Arrow

/** A JavaScript value as the JSON reader would hand it to inference (nested values and huge integers as text). */
function asJsonCell(value: unknown): JsonCell {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'number':
      return Number.isNaN(value) ? null : value;
    case 'boolean':
    case 'string':
      return value;
    case 'bigint':
      return value <= 9007199254740991n && value >= -9007199254740991n ? Number(value) : value.toString();
    case 'object':
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
      return JSON.stringify(value);
    default:
      return String(value);
  }
}

/** The column's values as strata cells of `type`; throws on one that does not convert. */
function convertColumn(name: string, type: ColumnType, values: ArrayLike<unknown>): CellValue[] {
  const out = new Array<CellValue>(values.length);
  for (let i = 0; i < values.length; i++) {
    const raw = values[i];
    // The common cases without a detour through text.
    if (type === 'timestamp' && raw instanceof Date) {
      const t = raw.getTime();
      out[i] = Number.isNaN(t) ? null : t;
      continue;
    }
    if (typeof raw === 'number' && (type === 'float' || (type === 'int' && Number.isSafeInteger(raw)))) {
      out[i] = Number.isNaN(raw) ? null : raw;
      continue;
    }
    const cell = convertJson(asJsonCell(raw), type);
    if (cell === FAILED) {
      throw new InvalidInputError(`column "${name}" row ${i}: ${String(raw).slice(0, 64)} is not a ${type}`, [
        { path: `${name}[${i}]`, message: `not a ${type}` },
      ]);
    }
    out[i] = cell;
  }
  return out;
}

/** A column's type and nullability, inferred as the pipeline infers a JSON file's. */
export function inferColumn(name: string, values: ArrayLike<unknown>): ColumnSchema {
  const inference = new ColumnInference();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // Numbers skip the text path (most data); the rest goes the way the JSON reader's values go.
    if (typeof v === 'number' && !Number.isNaN(v)) {
      inference.observed++;
      const kind = Number.isSafeInteger(v) ? 'int' : 'float';
      if (kind !== inference.kind) inference.kind = joinKinds(inference.kind, kind);
      continue;
    }
    inference.observeJson(asJsonCell(v));
  }
  const type = inference.type();
  return { name, type, nullable: inference.nullable(type, values.length) };
}

function isColumnMap(data: readonly RowObject[] | ColumnMap): data is ColumnMap {
  return !Array.isArray(data);
}

/** Row objects as columns, in the order keys first appear. */
function columnsOfRows(rows: readonly RowObject[]): Map<string, unknown[]> {
  const columns = new Map<string, unknown[]>();
  rows.forEach((row, r) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new InvalidInputError(`row ${r} is not an object`);
    }
    for (const key of Object.keys(row)) {
      if (!columns.has(key)) columns.set(key, new Array<unknown>(rows.length).fill(null));
    }
  });
  for (const [key, values] of columns) {
    for (let r = 0; r < rows.length; r++) values[r] = rows[r]?.[key] ?? null;
  }
  return columns;
}

/**
 * The data as an Arrow table of strata's canonical types. An Arrow table whose columns already have them
 * is returned as it is; other Arrow types are converted (Int32 → Int64, dictionary strings → Utf8, …).
 * Row objects and column maps are typed by `options.schema`, else by inference (see the file comment).
 * Throws InvalidInputError for ragged column maps, unsupported Arrow types and values that do not convert.
 */
export function toArrowTable(data: TableInput, options: ToArrowOptions = {}): Table {
  if (data instanceof Table) return canonicalArrowTable(data, options.schema);
  const columns = isColumnMap(data)
    ? new Map(Object.entries(data).map(([k, v]) => [k, v] as const))
    : columnsOfRows(data);
  if (columns.size === 0) throw new InvalidInputError('the data has no columns');
  const lengths = new Set([...columns.values()].map((v) => v.length));
  if (lengths.size > 1) {
    throw new InvalidInputError(
      `the columns have different lengths (${[...columns].map(([k, v]) => `${k}: ${v.length}`).join(', ')})`,
    );
  }
  const schema = options.schema ?? {
    columns: [...columns].map(([name, values]) => inferColumn(name, values)),
  };
  checkSchemaCoversColumns(schema, [...columns.keys()]);
  const numRows = lengths.values().next().value ?? 0;
  const batch: RecordBatch = {
    schema,
    numRows,
    columns: schema.columns.map((c) => convertColumn(c.name, c.type, columns.get(c.name) ?? [])),
  };
  return arrowTableFrom(schema, [batch]);
}

function checkSchemaCoversColumns(schema: TableSchema, names: readonly string[]): void {
  const declared = new Set(schema.columns.map((c) => c.name));
  const missing = schema.columns.filter((c) => !names.includes(c.name)).map((c) => c.name);
  const extra = names.filter((n) => !declared.has(n));
  if (missing.length > 0 || extra.length > 0) {
    throw new InvalidInputError(
      `the schema and the data name different columns${missing.length ? `; not in the data: ${missing.join(', ')}` : ''}${extra.length ? `; not in the schema: ${extra.join(', ')}` : ''}`,
    );
  }
}

function isCanonical(field: Field): boolean {
  const t = field.type as DataType;
  switch (t.typeId) {
    case Type.Int:
      return (t as Int64).bitWidth === 64 && (t as Int64).isSigned;
    case Type.Float:
      return (t as Float64).precision === 2;
    case Type.Bool:
    case Type.Utf8:
      return true;
    case Type.Timestamp:
      return (
        (t as TimestampMicrosecond).unit === TimeUnit.MICROSECOND &&
        (t as TimestampMicrosecond).timezone?.toUpperCase() === 'UTC'
      );
    default:
      return false;
  }
}

/** An Arrow table with strata's canonical types: itself when it has them, else converted column by column. */
function canonicalArrowTable(table: Table, schema?: TableSchema): Table {
  if (!schema && table.schema.fields.every(isCanonical)) {
    tableSchemaOf(table.schema); // duplicate names
    // Int64 values beyond ±2^53 are still refused, as strata's int is a JavaScript number downstream.
    for (const [i, field] of table.schema.fields.entries()) {
      if ((field.type as DataType).typeId !== Type.Int) continue;
      for (const data of table.getChildAt(i)?.data ?? []) {
        const values = data.values as BigInt64Array;
        for (let j = 0; j < data.length; j++) {
          const v = values[j] ?? 0n;
          if ((v > 9007199254740991n || v < -9007199254740991n) && data.getValid(j))
            throw unsafeInteger(field.name, v);
        }
      }
    }
    return table;
  }
  const target = schema ?? tableSchemaOf(table.schema);
  checkSchemaCoversColumns(
    target,
    table.schema.fields.map((f) => f.name),
  );
  const source = tableSchemaOf(table.schema);
  const batches: RecordBatch[] = [];
  for (const batch of recordBatchesOf(table)) {
    batches.push({
      schema: target,
      numRows: batch.numRows,
      columns: target.columns.map((c) => {
        const at = source.columns.findIndex((s) => s.name === c.name);
        const cells = batch.columns[at] ?? [];
        const from = source.columns[at]?.type;
        return from === c.type ? cells : convertColumn(c.name, c.type, cells);
      }),
    });
  }
  return arrowTableFrom(target, batches);
}
