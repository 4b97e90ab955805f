/**
 * strata's column types ↔ a Delta table schema (the protocol's "Schema Serialization Format": Spark's
 * StructType JSON, stored in `metaData.schemaString`).
 *
 * Written: each strata type has one Delta type, the one that matches what strata's canonical Parquet
 * holds (shared/formats/parquet.ts): int → long (INT64), float → double (DOUBLE), bool → boolean,
 * string → string (UTF8 BYTE_ARRAY), timestamp → timestamp (an instant in UTC; Delta's `timestamp` is
 * "adjusted to UTC", not `timestamp_ntz`, which would need table features). Column metadata is empty.
 *
 * Read (tables other writers made): the Delta type becomes the strata type strata's Parquet reader gives
 * the same Parquet column, so a table and its files agree: byte/short/integer/long → int, float/double/
 * decimal → float, boolean → bool, string/binary → string, date/timestamp/timestamp_ntz → timestamp,
 * struct/array/map/variant → string (JSON text).
 */
import { SchemaMismatchError, TableLogCorruptError } from '../../errors.js';
import type { ColumnSchema, ColumnType, TableSchema } from '../table.js';

export type DeltaDataType = string | DeltaStructType | DeltaArrayType | DeltaMapType | { type: 'variant' };

export interface DeltaStructField {
  name: string;
  type: DeltaDataType;
  nullable: boolean;
  metadata: Record<string, unknown>;
}

export interface DeltaStructType {
  type: 'struct';
  fields: DeltaStructField[];
}

export interface DeltaArrayType {
  type: 'array';
  elementType: DeltaDataType;
  containsNull: boolean;
}

export interface DeltaMapType {
  type: 'map';
  keyType: DeltaDataType;
  valueType: DeltaDataType;
  valueContainsNull: boolean;
}

const DELTA_TYPE: Record<ColumnType, string> = {
  int: 'long',
  float: 'double',
  bool: 'boolean',
  string: 'string',
  timestamp: 'timestamp',
};

/**
 * The Delta schema of a strata schema, nullability as declared. Throws SchemaMismatchError when two
 * names differ only by case: the protocol wants names unique regardless of casing.
 */
export function toDeltaSchema(schema: TableSchema): DeltaStructType {
  const seen = new Map<string, string>();
  for (const column of schema.columns) {
    const folded = column.name.toLowerCase();
    const other = seen.get(folded);
    if (other !== undefined) {
      throw new SchemaMismatchError(
        `columns "${other.slice(0, 64)}" and "${column.name.slice(0, 64)}" differ only by case, ` +
          'which a Delta table does not allow',
      );
    }
    seen.set(folded, column.name);
  }
  return {
    type: 'struct',
    fields: schema.columns.map((c) => ({
      name: c.name,
      type: DELTA_TYPE[c.type],
      nullable: c.nullable,
      metadata: {},
    })),
  };
}

/**
 * The schema a dataset's table is created with: the file's columns, every one nullable. A file's
 * nullability is what that file happened to hold; the next file of the dataset may have nulls in the
 * same column, and a Delta writer must not add nulls to a column declared non-nullable.
 */
export function datasetTableSchema(fileSchema: TableSchema): DeltaStructType {
  const struct = toDeltaSchema(fileSchema);
  return { ...struct, fields: struct.fields.map((f) => ({ ...f, nullable: true })) };
}

export function fromDeltaSchema(struct: DeltaStructType): TableSchema {
  return {
    columns: struct.fields.map(
      (f): ColumnSchema => ({ name: f.name, type: strataType(f.type), nullable: f.nullable }),
    ),
  };
}

function strataType(type: DeltaDataType): ColumnType {
  if (typeof type !== 'string') return 'string';
  if (/^decimal\(\s*\d+\s*,\s*-?\d+\s*\)$/.test(type) || type === 'decimal') return 'float';
  switch (type) {
    case 'byte':
    case 'short':
    case 'integer':
    case 'long':
      return 'int';
    case 'float':
    case 'double':
      return 'float';
    case 'boolean':
      return 'bool';
    case 'date':
    case 'timestamp':
    case 'timestamp_ntz':
      return 'timestamp';
    default:
      // string, binary, void and types this reader does not know: strata reads them as text.
      return 'string';
  }
}

export function serializeSchema(struct: DeltaStructType): string {
  return JSON.stringify(struct);
}

/** Parses `metaData.schemaString`; anything but a struct of named, typed fields throws. */
export function parseSchemaString(text: string): DeltaStructType {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TableLogCorruptError('the table schema is not JSON', { cause: error });
  }
  return parseStruct(value, 'schema');
}

function parseStruct(value: unknown, where: string): DeltaStructType {
  const o = value as { type?: unknown; fields?: unknown } | null;
  if (typeof o !== 'object' || o === null || o.type !== 'struct' || !Array.isArray(o.fields)) {
    throw new TableLogCorruptError(`${where} is not a struct type`);
  }
  return {
    type: 'struct',
    fields: o.fields.map((f: unknown, i: number) => {
      const field = f as Partial<Record<keyof DeltaStructField, unknown>> | null;
      if (typeof field !== 'object' || field === null || typeof field.name !== 'string') {
        throw new TableLogCorruptError(`${where} field ${i} has no name`);
      }
      const metadata = field.metadata;
      return {
        name: field.name,
        type: parseType(field.type, `${where}.${field.name}`),
        nullable: field.nullable !== false,
        metadata:
          typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>) : {},
      };
    }),
  };
}

function parseType(value: unknown, where: string): DeltaDataType {
  if (typeof value === 'string') return value;
  const o = value as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null) throw new TableLogCorruptError(`${where} has no type`);
  switch (o.type) {
    case 'struct':
      return parseStruct(o, where);
    case 'array':
      return {
        type: 'array',
        elementType: parseType(o.elementType, `${where}[]`),
        containsNull: o.containsNull !== false,
      };
    case 'map':
      return {
        type: 'map',
        keyType: parseType(o.keyType, `${where}.key`),
        valueType: parseType(o.valueType, `${where}.value`),
        valueContainsNull: o.valueContainsNull !== false,
      };
    case 'variant':
      return { type: 'variant' };
    default:
      throw new TableLogCorruptError(`${where} has an unknown type`);
  }
}

/**
 * The table's schema once a data file of `fileSchema` joins it: the table's columns as they are, in their
 * order, then the file's columns the table lacks, each nullable (the table's earlier files lack them, and
 * readers fill in nulls). Undefined when the file fits the table as it is (checkFileFitsTable). Adding a
 * nullable column is the only change a reader-1 / writer-2 table allows without table features: a column
 * of another type (say long in the table, double in the file) would need type widening (reader 3 / writer
 * 7), so it throws SchemaMismatchError, as does a new name that differs from a table column only by
 * case, or a file without one of the table's non-nullable columns.
 */
export function evolveTableSchema(
  table: DeltaStructType,
  fileSchema: TableSchema,
): DeltaStructType | undefined {
  const names = new Set(table.fields.map((f) => f.name));
  const folded = new Map(table.fields.map((f) => [f.name.toLowerCase(), f.name]));
  const added: DeltaStructField[] = [];
  for (const field of toDeltaSchema(fileSchema).fields) {
    if (names.has(field.name)) continue;
    const other = folded.get(field.name.toLowerCase());
    if (other !== undefined) {
      throw new SchemaMismatchError(
        `column "${field.name.slice(0, 64)}" differs from the table's "${other.slice(0, 64)}" only by case, ` +
          'which a Delta table does not allow',
      );
    }
    added.push({ ...field, nullable: true });
  }
  const evolved: DeltaStructType = { type: 'struct', fields: [...table.fields, ...added] };
  // Types, nullability and the table's non-nullable columns: the same rules as a file that adds nothing.
  checkFileFitsTable(evolved, fileSchema);
  return added.length > 0 ? evolved : undefined;
}

/**
 * Checks that a data file of `fileSchema` (strata's canonical Parquet) may be added to a table of
 * `table`: the same column names, each of the Delta type its Parquet column holds, and no column the table
 * declares non-nullable that the file declares nullable or lacks. Column order may differ (Delta reads by
 * name), and a nullable table column may be missing from the file (readers fill in nulls).
 * Throws SchemaMismatchError naming the first difference.
 */
export function checkFileFitsTable(table: DeltaStructType, fileSchema: TableSchema): void {
  const file = toDeltaSchema(fileSchema);
  const byName = new Map(table.fields.map((f) => [f.name, f]));
  for (const field of file.fields) {
    const target = byName.get(field.name);
    const name = `"${field.name.slice(0, 64)}"`;
    if (!target) throw new SchemaMismatchError(`column ${name} is not in the table`);
    if (JSON.stringify(target.type) !== JSON.stringify(field.type)) {
      throw new SchemaMismatchError(
        `column ${name} is ${JSON.stringify(field.type)} in the file and ${JSON.stringify(target.type)} in the table`,
      );
    }
    if (!target.nullable && field.nullable) {
      throw new SchemaMismatchError(`column ${name} may hold nulls; the table declares it non-nullable`);
    }
    byName.delete(field.name);
  }
  // The protocol lets a file lack a column (readers fill in nulls), so only a non-nullable one must be there.
  const missing = [...byName.values()].find((f) => !f.nullable);
  if (missing !== undefined) {
    throw new SchemaMismatchError(
      `the file lacks the table's non-nullable column "${missing.name.slice(0, 64)}"`,
    );
  }
}

/** How a dataset's table meets a file whose columns differ from it (the dataset's config). */
export interface SchemaPolicy {
  /** `add_columns`: columns the table lacks join it, nullable; `none`: such a file is refused. */
  evolution: 'none' | 'add_columns';
  /**
   * An int column of the file may join a double column of the table, its values written as doubles
   * (exact: strata's ints are safe integers). The other way, or any other change of type, is refused:
   * it would rewrite what the table already holds, which a reader-1 / writer-2 table cannot say.
   */
  widenTypes: boolean;
}

export interface SchemaFit {
  /** The table's schema after this file, when the file adds columns to it. */
  evolved?: DeltaStructType;
  /** The file's int columns that are written as doubles to fit the table. */
  widened: string[];
  /** The file's schema as it is written into the table (widened columns as float). */
  fileSchema: TableSchema;
}

/**
 * How a file of `fileSchema` joins a table of `table` under `policy`, or SchemaMismatchError listing every
 * difference the policy does not allow (new columns, types, nullability, case clashes, missing
 * non-nullable columns), so a quarantined file's record says all that must change.
 */
export function fitFileToTable(
  table: DeltaStructType,
  fileSchema: TableSchema,
  policy: SchemaPolicy,
): SchemaFit {
  const byName = new Map(table.fields.map((f) => [f.name, f]));
  const folded = new Map(table.fields.map((f) => [f.name.toLowerCase(), f.name]));
  const differences: string[] = [];
  const widened: string[] = [];
  const added: DeltaStructField[] = [];
  const columns: ColumnSchema[] = [];
  for (const column of fileSchema.columns) {
    const name = `"${column.name.slice(0, 64)}"`;
    const target = byName.get(column.name);
    if (!target) {
      const other = folded.get(column.name.toLowerCase());
      if (other !== undefined) {
        differences.push(`column ${name} differs from the table's "${other.slice(0, 64)}" only by case`);
      } else if (policy.evolution === 'add_columns') {
        added.push({ name: column.name, type: DELTA_TYPE[column.type], nullable: true, metadata: {} });
      } else {
        differences.push(`column ${name} (${column.type}) is not in the table`);
      }
      columns.push(column);
      continue;
    }
    byName.delete(column.name);
    let type = column.type;
    if (JSON.stringify(target.type) !== JSON.stringify(DELTA_TYPE[column.type])) {
      if (policy.widenTypes && column.type === 'int' && target.type === 'double') {
        widened.push(column.name);
        type = 'float';
      } else {
        differences.push(
          `column ${name} is ${DELTA_TYPE[column.type]} in the file and ${JSON.stringify(target.type)} in the table`,
        );
      }
    }
    if (!target.nullable && column.nullable) {
      differences.push(`column ${name} may hold nulls; the table declares it non-nullable`);
    }
    columns.push({ ...column, type });
  }
  for (const field of byName.values()) {
    if (!field.nullable)
      differences.push(`the file lacks the table's non-nullable column "${field.name.slice(0, 64)}"`);
  }
  if (differences.length > 0) {
    const shown = differences.slice(0, 5).join('; ');
    const more = differences.length > 5 ? ` (and ${differences.length - 5} more)` : '';
    throw new SchemaMismatchError(`the file does not fit the dataset's table: ${shown}${more}`, {
      differences,
    });
  }
  return {
    ...(added.length > 0 && { evolved: { type: 'struct', fields: [...table.fields, ...added] } }),
    widened,
    fileSchema: { columns },
  };
}
