/**
 * Feature store rules (pure): semantic versions of a feature set, entity keys, which row is an entity's
 * latest (what the online store holds), the point-in-time join that answers historical requests
 * without leaking values from after each request's timestamp, and what a static table (no time column)
 * can and cannot be served as.
 */
import { FeatureNotServableError, InvalidInputError } from '../errors.js';
import type { NormalizationParams } from './features/normalize.js';
import type { CellValue, ColumnType, RecordBatch, TableSchema } from './table.js';

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
}

const SEMVER = /^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$/;

/** MAJOR.MINOR.PATCH, each below a million (pre-release tags are not versions a store serves). */
export function parseSemver(text: string): SemVer {
  const match = SEMVER.exec(text);
  if (!match) throw new InvalidInputError(`"${text}" is not a version MAJOR.MINOR.PATCH`);
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

export function formatSemver(v: SemVer): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/** A sort key whose string order is the versions' order (DynamoDB sorts sort keys as strings). */
export function semverSortKey(text: string): string {
  const v = parseSemver(text);
  const pad = (n: number) => String(n).padStart(6, '0');
  return `${pad(v.major)}.${pad(v.minor)}.${pad(v.patch)}`;
}

export function compareSemver(a: string, b: string): number {
  const x = semverSortKey(a);
  const y = semverSortKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The version a registration gets when it names none: the next minor of the latest, or 1.0.0. */
export function nextVersion(latest: string | undefined): string {
  if (latest === undefined) return '1.0.0';
  const v = parseSemver(latest);
  return formatSemver({ major: v.major, minor: v.minor + 1, patch: 0 });
}

/** A feature name: what goes in `features/<tenant>/<name>/` and in `name@version` references. */
export function checkFeatureName(name: string): void {
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(name)) {
    throw new InvalidInputError(
      `feature name "${name}" must be 1-63 lower-case letters, digits, "_" or "-", starting with a letter or digit`,
    );
  }
}

/** `name` (the latest version) or `name@1.2.0`. */
export interface FeatureRef {
  name: string;
  version?: string | undefined;
}

export function parseFeatureRef(text: string): FeatureRef {
  const [name = '', version, ...rest] = text.split('@');
  if (rest.length > 0) throw new InvalidInputError(`feature reference "${text}" has more than one "@"`);
  checkFeatureName(name);
  if (version !== undefined) parseSemver(version);
  return { name, version };
}

/**
 * One string per entity, from one or more key columns: values joined by U+001F (unit separator), a
 * character that does not occur in real keys, so ("a|b", "c") and ("a", "b|c") stay apart.
 */
export function entityKeyOf(values: readonly CellValue[]): string {
  return values.map((v) => (v === null ? '' : String(v))).join('\u001f');
}

/** Splits an entity key back into its column values (as strings). */
export function entityKeyParts(key: string): string[] {
  return key.split('\u001f');
}

export interface FeatureFileRef {
  /** 'all' when the version has no split. */
  split: 'train' | 'validation' | 'test' | 'all';
  key: string;
  rows: number;
  /** sha256 of the Parquet bytes: the split's data hash. */
  sha256: string;
}

export interface FeatureVersionRecord {
  tenant: string;
  name: string;
  version: string;
  description?: string | undefined;
  metadata: Record<string, string>;
  tags: string[];
  /** Empty for a static table registered without a key: served offline only. */
  entityKeys: string[];
  /** Absent for a static table: no point-in-time joins, and online values are its only ones. */
  timestampColumn?: string | undefined;
  /** The feature columns (entity keys and timestamp excluded). */
  features: string[];
  schema: TableSchema;
  rowCount: number;
  entityCount: number;
  files: FeatureFileRef[];
  source: { kind: 'dataset'; dataset: string; version: number } | { kind: 'inline'; sha256: string };
  /** The feature-engineering spec applied to the source, if any. */
  transform?: unknown;
  /** Fitted on the training split only; reused at inference. */
  normalization?: NormalizationParams | undefined;
  split?:
    | { ratios: { train: number; validation: number; test: number }; timeOrdered: boolean; seed?: number }
    | undefined;
  /** sha256 over the files' hashes: two registrations of the same content are the same version. */
  contentHash: string;
  /**
   * The online values are those of `contentHash` (set on every version registered since online values
   * are kept apart by content); absent on earlier versions, whose values sit under the version alone.
   */
  onlineByContent?: true;
  createdAt: string;
}

export interface LatestRow {
  entityKey: string;
  eventTime: number;
  values: Record<string, CellValue>;
}

function timeIndexOf(table: RecordBatch, timestampColumn: string): number {
  const index = table.schema.columns.findIndex((c) => c.name === timestampColumn);
  if (index < 0) throw new InvalidInputError(`timestamp column "${timestampColumn}" is not in the features`);
  return index;
}

function keyIndexesOf(table: RecordBatch, entityKeys: readonly string[]): number[] {
  return entityKeys.map((name) => {
    const index = table.schema.columns.findIndex((c) => c.name === name);
    if (index < 0) throw new InvalidInputError(`entity key column "${name}" is not in the features`);
    return index;
  });
}

/**
 * Each entity's row with the latest event time (the later row in the table wins a tie, as a later write
 * would): what the online store materializes. Rows without an event time are not served online.
 */
export function latestPerEntity(
  table: RecordBatch,
  entityKeys: readonly string[],
  timestampColumn: string,
  features: readonly string[],
): LatestRow[] {
  const timeIndex = timeIndexOf(table, timestampColumn);
  const keyIndexes = keyIndexesOf(table, entityKeys);
  const featureIndexes = features.map((f) => table.schema.columns.findIndex((c) => c.name === f));
  const latest = new Map<string, { row: number; t: number }>();
  for (let r = 0; r < table.numRows; r++) {
    const t = table.columns[timeIndex]?.[r];
    if (typeof t !== 'number' || Number.isNaN(t)) continue;
    const key = entityKeyOf(keyIndexes.map((i) => table.columns[i]?.[r] ?? null));
    const seen = latest.get(key);
    if (!seen || t >= seen.t) latest.set(key, { row: r, t });
  }
  return [...latest.entries()].map(([entityKey, { row, t }]) => ({
    entityKey,
    eventTime: t,
    values: Object.fromEntries(
      features.map((f, i) => [f, table.columns[featureIndexes[i] ?? -1]?.[row] ?? null]),
    ),
  }));
}

/** An entity's feature rows in event-time order, for binary search. */
export interface EntityTimeline {
  times: Float64Array;
  rows: Int32Array;
}

export function buildTimelines(
  table: RecordBatch,
  entityKeys: readonly string[],
  timestampColumn: string,
): Map<string, EntityTimeline> {
  const timeIndex = timeIndexOf(table, timestampColumn);
  const keyIndexes = keyIndexesOf(table, entityKeys);
  const byEntity = new Map<string, number[]>();
  for (let r = 0; r < table.numRows; r++) {
    const t = table.columns[timeIndex]?.[r];
    if (typeof t !== 'number' || Number.isNaN(t)) continue;
    const key = entityKeyOf(keyIndexes.map((i) => table.columns[i]?.[r] ?? null));
    let rows = byEntity.get(key);
    if (!rows) {
      rows = [];
      byEntity.set(key, rows);
    }
    rows.push(r);
  }
  const timelines = new Map<string, EntityTimeline>();
  const times = table.columns[timeIndex] ?? [];
  for (const [key, rows] of byEntity) {
    // Stable: of two rows at one instant the later one in the table is the one "as of" that instant.
    rows.sort((a, b) => (times[a] as number) - (times[b] as number) || a - b);
    timelines.set(key, {
      times: Float64Array.from(rows, (r) => times[r] as number),
      rows: Int32Array.from(rows),
    });
  }
  return timelines;
}

/**
 * The row an entity had as of `at`: the last one with event time ≤ `at` (never one stamped after it,
 * which would leak the future into a training example), or undefined when the entity had none yet.
 */
export function rowAsOf(timeline: EntityTimeline | undefined, at: number): number | undefined {
  if (!timeline) return undefined;
  let lo = 0;
  let hi = timeline.times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((timeline.times[mid] as number) <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : timeline.rows[lo - 1];
}

// ---------------------------------------------------------------------------------------------------
// Static tables: a version without a timestamp column

/**
 * `time series`: rows stamped by a time column per entity (latest online, point in time offline).
 * `static`: a table without time (reference data, labels, a snapshot): served offline as it is, online
 * by its entity key when it has one, never joined point in time.
 */
export type FeatureKind = 'time_series' | 'static';

export function featureKindOf(record: { timestampColumn?: string | undefined }): FeatureKind {
  return record.timestampColumn === undefined ? 'static' : 'time_series';
}

const TIME_TYPES = new Set(['timestamp', 'int', 'float']);

/**
 * The columns a registration names, checked against the table's: entity keys distinct and present, the
 * timestamp column present and a time, not also a key. A time series needs an entity key (whose values
 * it follows over time); a static table may have none (it is then served offline only).
 */
export function checkFeatureColumns(
  schema: TableSchema,
  entityKeys: readonly string[],
  timestampColumn: string | undefined,
): void {
  const byName = new Map(schema.columns.map((c) => [c.name, c]));
  if (new Set(entityKeys).size !== entityKeys.length) {
    throw new InvalidInputError(`entity key columns are named twice: ${entityKeys.join(', ')}`);
  }
  for (const key of entityKeys) {
    if (!byName.has(key)) throw new InvalidInputError(`entity key column "${key}" is not in the source`);
  }
  if (timestampColumn === undefined) return;
  if (entityKeys.length === 0) {
    throw new InvalidInputError(
      `a feature with a timestamp column ("${timestampColumn}") needs at least one entity key column ` +
        'whose values it follows over time; without a timestamp column it is a static table',
    );
  }
  if (entityKeys.includes(timestampColumn)) {
    throw new InvalidInputError(`"${timestampColumn}" cannot be both an entity key and the timestamp column`);
  }
  const time = byName.get(timestampColumn);
  if (!time) throw new InvalidInputError(`timestamp column "${timestampColumn}" is not in the source`);
  if (!TIME_TYPES.has(time.type)) {
    throw new InvalidInputError(`timestamp column "${timestampColumn}" is ${time.type}, not a time`);
  }
}

/**
 * A keyed static table's online values: one per entity, the row itself (there is no "latest" without
 * time, so a key on two rows, or a row without its key, is refused rather than one picked silently).
 */
export function rowPerEntity(
  table: RecordBatch,
  entityKeys: readonly string[],
  features: readonly string[],
): Array<{ entityKey: string; values: Record<string, CellValue> }> {
  const keyIndexes = keyIndexesOf(table, entityKeys);
  const featureIndexes = features.map((f) => table.schema.columns.findIndex((c) => c.name === f));
  const seen = new Map<string, number>();
  const out: Array<{ entityKey: string; values: Record<string, CellValue> }> = [];
  for (let r = 0; r < table.numRows; r++) {
    const parts = keyIndexes.map((i) => table.columns[i]?.[r] ?? null);
    if (parts.some((v) => v === null)) {
      throw new InvalidInputError(
        `row ${r} has no value for entity key ${entityKeys.join(', ')}: every row of a keyed static table needs its key`,
      );
    }
    const entityKey = entityKeyOf(parts);
    const first = seen.get(entityKey);
    if (first !== undefined) {
      throw new InvalidInputError(
        `entity key ${entityKeys.join(', ')} = ${parts.map(String).join(', ')} is on rows ${first} and ${r}: ` +
          'a static table (no timestamp column) holds one row per entity; name a timestamp column to keep several',
      );
    }
    seen.set(entityKey, r);
    out.push({
      entityKey,
      values: Object.fromEntries(
        features.map((f, i) => [f, table.columns[featureIndexes[i] ?? -1]?.[r] ?? null]),
      ),
    });
  }
  return out;
}

/** Online lookup reads values by entity key: a version registered without one has none to read. */
export function checkServableOnline(record: Pick<FeatureVersionRecord, 'name' | 'version' | 'entityKeys'>) {
  if (record.entityKeys.length === 0) {
    throw new FeatureNotServableError(
      `feature ${record.name}@${record.version} has no entity key, so it has no online values to look up: ` +
        'read it whole with GET /features/{name}, or register a version that names its entity key',
      record.name,
      record.version,
      'entity_key',
    );
  }
}

/** A point-in-time join needs each row's time: a static table has none to join as of. */
export function checkServablePointInTime<
  T extends Pick<FeatureVersionRecord, 'name' | 'version' | 'timestampColumn'>,
>(record: T): asserts record is T & { timestampColumn: string } {
  if (record.timestampColumn === undefined) {
    throw new FeatureNotServableError(
      `feature ${record.name}@${record.version} is a static table (no timestamp column): a point-in-time ` +
        'join does not apply; read it with GET /features/{name}, or online by its entity key',
      record.name,
      record.version,
      'timestamp_column',
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Inline columns with declared types

/**
 * Inline columns as the caller typed them (an Arrow table's schema, say), over what inference made of
 * their JSON values: `[1, 2]` in a float column stays float, epoch ms in a timestamp column are instants.
 * The timestamp column keeps its own parsing (always a timestamp). A value that is not of the declared
 * type is refused with its column and row, never coerced.
 */
export function withDeclaredTypes(
  table: RecordBatch,
  types: Readonly<Record<string, ColumnType>>,
  timestampColumn: string | undefined,
): RecordBatch {
  const names = new Set(table.schema.columns.map((c) => c.name));
  for (const name of Object.keys(types)) {
    if (!names.has(name)) throw new InvalidInputError(`types names "${name}", which is not an inline column`);
  }
  const columns: CellValue[][] = [];
  const schema: TableSchema = {
    columns: table.schema.columns.map((column, i) => {
      const values = table.columns[i] ?? [];
      const type = types[column.name];
      if (type === undefined || column.name === timestampColumn) {
        columns.push(values);
        return column;
      }
      columns.push(values.map((v, r) => typedCell(v, type, column.name, r)));
      return { ...column, type };
    }),
  };
  return { schema, numRows: table.numRows, columns };
}

function typedCell(value: CellValue, type: ColumnType, column: string, row: number): CellValue {
  if (value === null) return null;
  const refuse = () =>
    new InvalidInputError(`inline column "${column}" row ${row}: ${JSON.stringify(value)} is not a ${type}`);
  switch (type) {
    case 'int':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      throw refuse();
    case 'float':
      if (typeof value === 'number') return value;
      throw refuse();
    case 'bool':
      if (typeof value === 'boolean') return value;
      throw refuse();
    case 'string':
      if (typeof value === 'string') return value;
      throw refuse();
    case 'timestamp': {
      const ms =
        typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
      if (Number.isFinite(ms)) return ms;
      throw refuse();
    }
  }
}
