/**
 * What changed between two versions of a dataset, from what each version already recorded: its record
 * (schema, row count, content hash, source) and its profile. Pure: no snapshot is read, so a diff costs
 * two profile documents whatever the size of the data.
 */
import type {
  ColumnProfile,
  DatasetProfile,
  NumericColumnProfile,
  QuantileKey,
  TopKEntry,
} from './profile/profiler.js';
import type { ColumnSchema, ColumnType } from './table.js';
import type { VersionRecord } from './version.js';

export interface DiffSide {
  record: Pick<
    VersionRecord,
    | 'dataset'
    | 'version'
    | 'status'
    | 'contentHash'
    | 'sourceSha256'
    | 'sourceFileId'
    | 'sourceKey'
    | 'rowCount'
    | 'schema'
    | 'createdAt'
    | 'tags'
  >;
  /** The version's profile; undefined when it cannot be read (then no column deltas are given). */
  profile: DatasetProfile | undefined;
}

/** A number on both sides: `delta = to − from`, `relative = delta / |from|` (null when from is 0 or absent). */
export interface NumberDelta {
  from: number | null;
  to: number | null;
  delta: number | null;
  relative: number | null;
}

export interface VersionSummary {
  version: number;
  status: VersionRecord['status'];
  createdAt: string;
  contentHash: string;
  rowCount: number;
  columns: number;
  tags: string[];
  source: { fileId: string; key: string; sha256: string };
}

export interface SchemaDiff {
  /** True when no column was added, removed, retyped or changed nullability (order is not compared). */
  unchanged: boolean;
  added: ColumnSchema[];
  removed: ColumnSchema[];
  typeChanged: Array<{ column: string; from: ColumnType; to: ColumnType }>;
  nullabilityChanged: Array<{ column: string; from: boolean; to: boolean }>;
}

/** The diffed quantiles: the median and the 5th/95th percentiles. */
export const DIFF_QUANTILES = ['p5', 'p50', 'p95'] as const satisfies readonly QuantileKey[];

export interface NumericDeltas {
  mean: NumberDelta;
  std: NumberDelta;
  min: NumberDelta;
  max: NumberDelta;
  /** Mean shift in standard deviations of the older side (`from`); null without a positive std there. */
  meanShiftSd: number | null;
  quantiles: Partial<Record<(typeof DIFF_QUANTILES)[number], NumberDelta>>;
}

/**
 * Top-k membership: values that entered the most-frequent list (`appeared`, with their count in `to`) or
 * left it (`disappeared`, with their count in `from`). A value that left the top-k may still occur.
 */
export interface TopKDeltas {
  appeared: TopKEntry[];
  disappeared: TopKEntry[];
}

export interface ColumnDiff {
  column: string;
  type: { from: ColumnType; to: ColumnType };
  nullFraction: NumberDelta;
  nulls: NumberDelta;
  distinct: NumberDelta & { exact: boolean };
  /** Both sides numeric (int, float, timestamp; timestamps in epoch milliseconds). */
  numeric?: NumericDeltas;
  /** Both sides string or both bool. */
  topK?: TopKDeltas;
}

export interface VersionDiff {
  dataset: string;
  from: VersionSummary;
  to: VersionSummary;
  /** Same snapshot content hash: the two versions hold the same data. */
  sameContent: boolean;
  /** Made from files with the same content. */
  sameSource: boolean;
  rows: NumberDelta & { from: number; to: number; delta: number };
  schema: SchemaDiff;
  /** Whether each side had a profile; column deltas need both. */
  profiles: { from: boolean; to: boolean };
  /** Per column present in both versions, in the newer schema's order. */
  columns: ColumnDiff[];
}

export function numberDelta(from: number | null | undefined, to: number | null | undefined): NumberDelta {
  const a = from ?? null;
  const b = to ?? null;
  const delta = a === null || b === null ? null : b - a;
  const relative = delta === null || a === null || a === 0 ? null : delta / Math.abs(a);
  return { from: a, to: b, delta, relative };
}

/** The changes from version `a` to version `b` (a is "from", b is "to", whichever is newer). */
export function diffVersions(a: DiffSide, b: DiffSide): VersionDiff {
  const rows = numberDelta(a.record.rowCount, b.record.rowCount);
  const profiles = { from: a.profile !== undefined, to: b.profile !== undefined };
  return {
    dataset: b.record.dataset,
    from: summarize(a.record),
    to: summarize(b.record),
    sameContent: a.record.contentHash === b.record.contentHash,
    sameSource: a.record.sourceSha256 === b.record.sourceSha256,
    rows: {
      ...rows,
      from: a.record.rowCount,
      to: b.record.rowCount,
      delta: b.record.rowCount - a.record.rowCount,
    },
    schema: diffSchemas(a.record.schema.columns, b.record.schema.columns),
    profiles,
    columns: a.profile && b.profile ? diffColumns(a, b, a.profile, b.profile) : [],
  };
}

function summarize(record: DiffSide['record']): VersionSummary {
  return {
    version: record.version,
    status: record.status,
    createdAt: record.createdAt,
    contentHash: record.contentHash,
    rowCount: record.rowCount,
    columns: record.schema.columns.length,
    tags: [...(record.tags ?? [])],
    source: { fileId: record.sourceFileId, key: record.sourceKey, sha256: record.sourceSha256 },
  };
}

export function diffSchemas(from: readonly ColumnSchema[], to: readonly ColumnSchema[]): SchemaDiff {
  const before = new Map(from.map((c) => [c.name, c]));
  const after = new Map(to.map((c) => [c.name, c]));
  const added = to.filter((c) => !before.has(c.name)).map((c) => ({ ...c }));
  const removed = from.filter((c) => !after.has(c.name)).map((c) => ({ ...c }));
  const typeChanged: SchemaDiff['typeChanged'] = [];
  const nullabilityChanged: SchemaDiff['nullabilityChanged'] = [];
  for (const next of to) {
    const previous = before.get(next.name);
    if (!previous) continue;
    if (previous.type !== next.type)
      typeChanged.push({ column: next.name, from: previous.type, to: next.type });
    if (previous.nullable !== next.nullable) {
      nullabilityChanged.push({ column: next.name, from: previous.nullable, to: next.nullable });
    }
  }
  const unchanged =
    added.length === 0 && removed.length === 0 && typeChanged.length === 0 && nullabilityChanged.length === 0;
  return { unchanged, added, removed, typeChanged, nullabilityChanged };
}

function diffColumns(a: DiffSide, b: DiffSide, pa: DatasetProfile, pb: DatasetProfile): ColumnDiff[] {
  const inA = new Set(a.record.schema.columns.map((c) => c.name));
  const profileA = new Map(pa.columns.map((c) => [c.name, c]));
  const profileB = new Map(pb.columns.map((c) => [c.name, c]));
  const out: ColumnDiff[] = [];
  for (const { name } of b.record.schema.columns) {
    const from = profileA.get(name);
    const to = profileB.get(name);
    if (!inA.has(name) || !from || !to) continue;
    out.push(diffColumn(name, from, to));
  }
  return out;
}

const NUMERIC_TYPES: ReadonlySet<ColumnType> = new Set(['int', 'float', 'timestamp']);

function isNumeric(profile: ColumnProfile): profile is NumericColumnProfile {
  return NUMERIC_TYPES.has(profile.type);
}

export function diffColumn(column: string, from: ColumnProfile, to: ColumnProfile): ColumnDiff {
  const diff: ColumnDiff = {
    column,
    type: { from: from.type, to: to.type },
    nullFraction: numberDelta(from.nullFraction, to.nullFraction),
    nulls: numberDelta(from.nulls, to.nulls),
    distinct: {
      ...numberDelta(from.distinct.value, to.distinct.value),
      exact: from.distinct.exact && to.distinct.exact,
    },
  };
  if (isNumeric(from) && isNumeric(to)) diff.numeric = numericDeltas(from, to);
  else if ((from.type === 'string' || from.type === 'bool') && from.type === to.type) {
    diff.topK = topKDeltas(from.topK, (to as { topK: TopKEntry[] }).topK);
  }
  return diff;
}

function numericDeltas(from: NumericColumnProfile, to: NumericColumnProfile): NumericDeltas {
  const quantiles: NumericDeltas['quantiles'] = {};
  for (const q of DIFF_QUANTILES) {
    const a = from.quantiles?.[q];
    const b = to.quantiles?.[q];
    if (a !== undefined && b !== undefined) quantiles[q] = numberDelta(a, b);
  }
  const mean = numberDelta(from.mean, to.mean);
  return {
    mean,
    std: numberDelta(from.std, to.std),
    min: numberDelta(from.min, to.min),
    max: numberDelta(from.max, to.max),
    meanShiftSd: mean.delta !== null && from.std !== null && from.std > 0 ? mean.delta / from.std : null,
    quantiles,
  };
}

export function topKDeltas(from: readonly TopKEntry[], to: readonly TopKEntry[]): TopKDeltas {
  const before = new Set(from.map((e) => e.value));
  const after = new Set(to.map((e) => e.value));
  return {
    appeared: to.filter((e) => !before.has(e.value)).map((e) => ({ ...e })),
    disappeared: from.filter((e) => !after.has(e.value)).map((e) => ({ ...e })),
  };
}
