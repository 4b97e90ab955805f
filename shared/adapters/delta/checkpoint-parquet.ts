/**
 * The Parquet encoding of a classic (V1 spec) checkpoint: one row per action, one optional struct column
 * per action type (`add`, `remove`, `metaData`, `protocol`, `txn`), the others null in that row. The
 * schema is the protocol's checkpoint schema as delta-rs 1.x writes it (field names, nullability, maps as
 * MAP of `key_value` groups, lists as 3-level LIST of `element`), so engines that match columns by name
 * and check nullability read it like one of their own. `add.stats` is the JSON string
 * (`delta.checkpoint.writeStatsAsJson`, the default); there is no `stats_parsed` (writeStatsAsStruct is off
 * by default) and no `partitionValues_parsed` (strata's tables are not partitioned). The V2-only columns
 * (`checkpointMetadata`, `sidecar`) are left out: a reader treats a missing column as null.
 *
 * Pure encoding: bytes in, actions out and back; no I/O.
 */
import type { SchemaElement } from 'hyparquet';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { type Action, parseAction } from '../../domain/delta/actions.js';
import { TableLogCorruptError } from '../../errors.js';

type Repetition = 'REQUIRED' | 'OPTIONAL';

/** A node of the checkpoint schema, flattened into Parquet's depth-first SchemaElement list below. */
type Node =
  | { kind: 'string' | 'long' | 'int' | 'boolean'; name: string; repetition: Repetition }
  | { kind: 'struct'; name: string; repetition: Repetition; fields: Node[] }
  | { kind: 'map'; name: string; repetition: Repetition; valueRepetition: Repetition }
  | { kind: 'list'; name: string; repetition: Repetition };

const req = 'REQUIRED';
const opt = 'OPTIONAL';
const str = (name: string, repetition: Repetition = req): Node => ({ kind: 'string', name, repetition });
const long = (name: string, repetition: Repetition = req): Node => ({ kind: 'long', name, repetition });
const int = (name: string, repetition: Repetition = req): Node => ({ kind: 'int', name, repetition });
const bool = (name: string, repetition: Repetition = req): Node => ({ kind: 'boolean', name, repetition });
const struct = (name: string, repetition: Repetition, fields: Node[]): Node => ({
  kind: 'struct',
  name,
  repetition,
  fields,
});
const map = (name: string, repetition: Repetition, valueRepetition: Repetition = opt): Node => ({
  kind: 'map',
  name,
  repetition,
  valueRepetition,
});
const list = (name: string, repetition: Repetition): Node => ({ kind: 'list', name, repetition });

const deletionVector = struct('deletionVector', opt, [
  str('storageType'),
  str('pathOrInlineDv'),
  int('offset', opt),
  int('sizeInBytes'),
  long('cardinality'),
]);

const CHECKPOINT_COLUMNS: Node[] = [
  struct('add', opt, [
    str('path'),
    map('partitionValues', req),
    long('size'),
    long('modificationTime'),
    bool('dataChange'),
    str('stats', opt),
    map('tags', opt),
    deletionVector,
    long('baseRowId', opt),
    long('defaultRowCommitVersion', opt),
    str('clusteringProvider', opt),
  ]),
  struct('remove', opt, [
    str('path'),
    long('deletionTimestamp', opt),
    bool('dataChange'),
    bool('extendedFileMetadata', opt),
    map('partitionValues', opt),
    long('size', opt),
    str('stats', opt),
    map('tags', opt),
    deletionVector,
    long('baseRowId', opt),
    long('defaultRowCommitVersion', opt),
  ]),
  struct('metaData', opt, [
    str('id'),
    str('name', opt),
    str('description', opt),
    struct('format', req, [str('provider'), map('options', req, req)]),
    str('schemaString'),
    list('partitionColumns', req),
    long('createdTime', opt),
    map('configuration', req, req),
  ]),
  struct('protocol', opt, [
    int('minReaderVersion'),
    int('minWriterVersion'),
    list('readerFeatures', opt),
    list('writerFeatures', opt),
  ]),
  struct('txn', opt, [str('appId'), long('version'), long('lastUpdated', opt)]),
];

const STRING_ELEMENT = {
  type: 'BYTE_ARRAY',
  converted_type: 'UTF8',
  logical_type: { type: 'STRING' },
} as const;

function schemaElements(node: Node): SchemaElement[] {
  const base = { name: node.name, repetition_type: node.repetition };
  switch (node.kind) {
    case 'string':
      return [{ ...base, ...STRING_ELEMENT }];
    case 'long':
      return [{ ...base, type: 'INT64' }];
    case 'int':
      return [{ ...base, type: 'INT32' }];
    case 'boolean':
      return [{ ...base, type: 'BOOLEAN' }];
    case 'struct':
      return [{ ...base, num_children: node.fields.length }, ...node.fields.flatMap(schemaElements)];
    case 'map':
      return [
        { ...base, num_children: 1, converted_type: 'MAP', logical_type: { type: 'MAP' } },
        { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
        { name: 'key', repetition_type: 'REQUIRED', ...STRING_ELEMENT },
        { name: 'value', repetition_type: node.valueRepetition, ...STRING_ELEMENT },
      ];
    case 'list':
      return [
        { ...base, num_children: 1, converted_type: 'LIST', logical_type: { type: 'LIST' } },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', repetition_type: 'REQUIRED', ...STRING_ELEMENT },
      ];
  }
}

const CHECKPOINT_SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: CHECKPOINT_COLUMNS.length },
  ...CHECKPOINT_COLUMNS.flatMap(schemaElements),
];

/**
 * Shapes one action's JSON object for the writer: absent optional fields become null, longs bigints (the
 * writer's INT64), maps stay plain objects. Fields the schema does not have are dropped.
 */
function shape(node: Node, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  switch (node.kind) {
    case 'long':
      return typeof value === 'number' ? BigInt(value) : value;
    case 'struct': {
      const o = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const field of node.fields) out[field.name] = shape(field, o[field.name]);
      return out;
    }
    case 'map':
      // Null values of a map whose values are required cannot be written; no writer puts any there.
      return node.valueRepetition === 'REQUIRED'
        ? Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== null))
        : value;
    default:
      return value;
  }
}

/** The checkpoint file of these actions (commitInfo is not state and is left out). */
export function encodeCheckpoint(actions: readonly Action[]): Uint8Array {
  const rows = actions.filter((a) => !('commitInfo' in a));
  const columnData = CHECKPOINT_COLUMNS.map((column) => ({
    name: column.name,
    data: rows.map((action) => {
      const value = (action as Record<string, unknown>)[column.name];
      return value === undefined ? null : shape(column, value);
    }),
  }));
  const buffer = parquetWriteBuffer({
    columnData,
    schema: CHECKPOINT_SCHEMA,
    codec: 'SNAPPY',
    createdBy: 'strata (hyparquet-writer 0.17.0)',
    // One row group: readers of a checkpoint read it whole anyway.
    rowGroupSize: Math.max(1, rows.length),
  });
  return new Uint8Array(buffer);
}

/** The actions of a checkpoint file (any writer's: columns it lacks read as null, unknown ones are ignored). */
export async function decodeCheckpoint(bytes: Uint8Array, version: number): Promise<Action[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let rows: Record<string, unknown>[];
  try {
    const metadata = parquetMetadata(file);
    const present = new Set(parquetSchema(metadata).children.map((c) => c.element.name));
    const columns = ['add', 'remove', 'metaData', 'protocol', 'txn'].filter((c) => present.has(c));
    rows = await parquetReadObjects({ file, metadata, columns, compressors });
  } catch (error) {
    throw new TableLogCorruptError(`checkpoint ${version} is not a readable Parquet file`, { cause: error });
  }
  const actions: Action[] = [];
  rows.forEach((row, i) => {
    const action = parseAction(row, `checkpoint ${version} row ${i + 1}`);
    if (action) actions.push(action);
  });
  return actions;
}
