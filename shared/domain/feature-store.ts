/**
 * Feature store rules (pure): semantic versions of a feature set, entity keys, which row is an entity's
 * latest (what the online store holds), and the point-in-time join that answers historical requests
 * without leaking values from after each request's timestamp.
 */
import { InvalidInputError } from '../errors.js';
import type { NormalizationParams } from './features/normalize.js';
import type { CellValue, RecordBatch, TableSchema } from './table.js';

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
  entityKeys: string[];
  timestampColumn: string;
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
