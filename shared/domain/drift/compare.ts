/**
 * Comparing a new file with a reference version, column by column. Two steps, both streaming-friendly:
 * `createDriftCollector` consumes one side's record batches and keeps what the tests need (the finite
 * values of numeric columns, category counts of string and bool columns, prediction hits); then
 * `compareDatasets` turns two collected sides into a `DriftReport`.
 *
 * Numeric tests run on the values themselves, not on sketches: KS and Mann–Whitney on sketches would
 * not match SciPy, and a million doubles is 8 MB. Past `maxValues` per column a side keeps a uniform
 * reservoir sample (deterministic seed), and the report says `sampled`.
 *
 * Identifier columns (identifiers.ts) are left out of the comparison and listed in `excludedColumns`.
 */
import type { ColumnCells, ColumnType, ReadBatch, TableSchema } from '../table.js';
import {
  type IdentifierEvidence,
  inferIdentifier,
  newOrderTracker,
  type OrderTracker,
  orderOf,
  trackOrder,
} from './identifiers.js';
import type {
  CategoricalColumnDrift,
  CategoryCount,
  ColumnDrift,
  ColumnRole,
  DriftRecommendation,
  DriftReport,
  DriftTypeHint,
  ExcludedColumn,
  HistogramPair,
  NumericColumnDrift,
  PerformanceComparison,
  SkippedColumn,
} from './report.js';
import {
  DEFAULT_DRIFT_THRESHOLDS,
  type DriftThresholds,
  SEVERITIES,
  type Severity,
  severityExceeds,
  severityOf,
} from './severity.js';
import {
  alignCategories,
  binCountsSorted,
  categoryChanges,
  chiSquareHomogeneity,
  jensenShannon,
  ksTwoSampleSorted,
  mannWhitneyUSorted,
  psi,
  quantileDeltasSorted,
  referenceBinEdgesSorted,
  sortFloat64,
} from './stats.js';

export interface DriftRoles {
  /** The target column: its drift is prior shift, not covariate shift. */
  labelColumn?: string | undefined;
  /** A model's output stored beside the label: with both, prediction quality is compared. */
  predictionColumn?: string | undefined;
  /** The event-time column: always moves between versions, so it is not compared. */
  timeColumn?: string | undefined;
}

export interface DriftCollectorOptions extends DriftRoles {
  /** Finite values kept per numeric column before reservoir sampling starts. Default 1 000 000. */
  maxValues?: number;
  /** Distinct values counted per categorical column; more means an identifier, not compared. Default 10 000. */
  maxCategories?: number;
  /** Seed of the reservoir sampler, so a re-run samples the same rows. */
  seed?: number;
}

export const DEFAULT_MAX_VALUES = 1_000_000;
export const DEFAULT_MAX_CATEGORIES = 10_000;
/** Chart rows of a categorical column; the rest are summed as "other". */
export const CATEGORY_CHART_LIMIT = 20;
/** New/missing category names listed in a report (all are counted). */
export const CATEGORY_LIST_LIMIT = 50;
export const HISTOGRAM_BINS = 20;
export const PSI_BINS = 10;

interface NumericCollected {
  kind: 'numeric';
  type: ColumnType;
  rows: number;
  /** Nulls plus NaN/±Infinity: values no numeric test can use. */
  missing: number;
  /** All finite values seen (the sample's size is `values.length`). */
  seen: number;
  /** The kept values (all of them, or the reservoir), unsorted until `compareDatasets` sorts them. */
  values: Float64Array;
  /** `values` is sorted ascending (done once, in place, by `sortedValues`). */
  sorted: boolean;
  /** Strict order of every finite value in file order, for identifier inference. */
  order: OrderTracker<number>;
  /** Streaming moments and range over every finite value, not just the sample. */
  mean: number;
  m2: number;
  min: number;
  max: number;
}

interface CategoricalCollected {
  kind: 'categorical';
  type: ColumnType;
  rows: number;
  missing: number;
  counts: Map<string, number>;
  /** More than `maxCategories` distinct values: counting stopped. */
  overflow: boolean;
  /** A counted value was seen again: the column is not unique. */
  repeated: boolean;
  order: OrderTracker<string>;
}

export type CollectedColumn = NumericCollected | CategoricalCollected;

export interface CollectedSide {
  rows: number;
  schema: TableSchema;
  columns: Map<string, CollectedColumn>;
  /** Rows where label and prediction were both present, and how well they agreed. */
  performance?: { pairs: number; hits: number; absoluteError: number } | undefined;
}

export interface DriftCollector {
  /** The columns `add` reads: a reader can fetch only these (timestamps are never compared). */
  readonly columns: string[];
  add(batch: ReadBatch): void;
  result(): CollectedSide;
}

/** xorshift32: a fast deterministic PRNG; sampling quality needs nothing stronger. */
function prng(seed: number): () => number {
  let state = seed | 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

const isNumericType = (t: ColumnType) => t === 'int' || t === 'float';

export function createDriftCollector(
  schema: TableSchema,
  options: DriftCollectorOptions = {},
): DriftCollector {
  const maxValues = options.maxValues ?? DEFAULT_MAX_VALUES;
  const maxCategories = options.maxCategories ?? DEFAULT_MAX_CATEGORIES;
  const random = prng(options.seed ?? 20_260_101);
  const columns = new Map<string, CollectedColumn>();
  for (const c of schema.columns) {
    // Timestamps always move between versions: comparing them would flag every new file.
    if (c.type === 'timestamp' || c.name === options.timeColumn) continue;
    columns.set(
      c.name,
      isNumericType(c.type)
        ? {
            kind: 'numeric',
            type: c.type,
            rows: 0,
            missing: 0,
            seen: 0,
            values: new Float64Array(Math.min(maxValues, 65_536)),
            sorted: false,
            order: newOrderTracker<number>(),
            mean: 0,
            m2: 0,
            min: Number.POSITIVE_INFINITY,
            max: Number.NEGATIVE_INFINITY,
          }
        : {
            kind: 'categorical',
            type: c.type,
            rows: 0,
            missing: 0,
            counts: new Map(),
            overflow: false,
            repeated: false,
            order: newOrderTracker<string>(),
          },
    );
  }
  const hasColumn = (name: string | undefined) => schema.columns.some((c) => c.name === name);
  const performance =
    hasColumn(options.labelColumn) && hasColumn(options.predictionColumn)
      ? { pairs: 0, hits: 0, absoluteError: 0 }
      : undefined;
  let rows = 0;

  function addNumeric(col: NumericCollected, cells: ColumnCells, n: number): void {
    col.rows += n;
    for (let r = 0; r < n; r++) {
      const v = cells[r];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        col.missing++;
        continue;
      }
      col.seen++;
      trackOrder(col.order, v);
      const delta = v - col.mean;
      col.mean += delta / col.seen;
      col.m2 += delta * (v - col.mean);
      if (v < col.min) col.min = v;
      if (v > col.max) col.max = v;
      if (col.seen <= maxValues) {
        if (col.seen > col.values.length) {
          const grown = new Float64Array(Math.min(maxValues, col.values.length * 2));
          grown.set(col.values);
          col.values = grown;
        }
        col.values[col.seen - 1] = v;
      } else {
        // Algorithm R: the i-th value replaces a kept one with probability maxValues / i.
        const slot = Math.floor(random() * col.seen);
        if (slot < maxValues) col.values[slot] = v;
      }
    }
  }

  function addCategorical(col: CategoricalCollected, cells: ColumnCells, n: number): void {
    col.rows += n;
    for (let r = 0; r < n; r++) {
      const v = cells[r];
      if (v === null || v === undefined) {
        col.missing++;
        continue;
      }
      const key = String(v);
      trackOrder(col.order, key);
      const count = col.counts.get(key);
      if (count !== undefined) {
        col.counts.set(key, count + 1);
        col.repeated = true;
      } else if (col.counts.size < maxCategories) col.counts.set(key, 1);
      else col.overflow = true;
    }
  }

  const needed = schema.columns
    .map((c) => c.name)
    .filter(
      (name) =>
        columns.has(name) ||
        (performance && (name === options.labelColumn || name === options.predictionColumn)),
    );
  return {
    columns: needed,
    add(batch) {
      rows += batch.numRows;
      batch.schema.columns.forEach((c, i) => {
        const col = columns.get(c.name);
        const cells = batch.columns[i];
        if (!col || !cells) return;
        if (col.kind === 'numeric') addNumeric(col, cells, batch.numRows);
        else addCategorical(col, cells, batch.numRows);
      });
      if (performance) {
        // By name: a reader may hand over only some columns, in its own order.
        const at = (name: string | undefined) => batch.schema.columns.findIndex((c) => c.name === name);
        const labels = batch.columns[at(options.labelColumn)] ?? [];
        const predictions = batch.columns[at(options.predictionColumn)] ?? [];
        for (let r = 0; r < batch.numRows; r++) {
          const label = labels[r];
          const prediction = predictions[r];
          if (label === null || label === undefined || prediction === null || prediction === undefined)
            continue;
          performance.pairs++;
          if (label === prediction || String(label) === String(prediction)) performance.hits++;
          if (typeof label === 'number' && typeof prediction === 'number') {
            performance.absoluteError += Math.abs(label - prediction);
          }
        }
      }
    },
    result() {
      for (const col of columns.values()) {
        if (col.kind === 'numeric') col.values = col.values.subarray(0, Math.min(col.seen, maxValues));
      }
      return { rows, schema, columns, performance };
    },
  };
}

export interface IdentifierOptions {
  /** Columns never compared, whatever their values (the settings' `identifier_columns`). */
  identifierColumns?: readonly string[] | undefined;
  /** Infer identifier columns from the data (identifiers.ts). Default true. */
  inferIdentifiers?: boolean | undefined;
}

export interface CompareOptions extends DriftRoles, IdentifierOptions {
  thresholds?: DriftThresholds;
  reference: { version: number; pinned: boolean };
}

function roleOf(column: string, roles: DriftRoles): ColumnRole {
  if (column === roles.labelColumn) return 'label';
  if (column === roles.predictionColumn) return 'prediction';
  if (column === roles.timeColumn) return 'time';
  return 'feature';
}

/** The kept values sorted ascending, in place and once: the collected arrays belong to the comparison. */
function sortedValues(col: NumericCollected): Float64Array {
  if (!col.sorted) {
    col.values = sortFloat64(col.values);
    col.sorted = true;
  }
  return col.values;
}

function evidenceOf(col: CollectedColumn): IdentifierEvidence {
  if (col.kind === 'categorical') {
    // Past `maxCategories` the uncounted values cannot be checked; no repeat among the counted ones (more
    // than maxCategories distinct values) is the evidence then.
    return { values: col.rows - col.missing, unique: !col.repeated, order: orderOf(col.order) };
  }
  const values = sortedValues(col);
  let unique = true;
  for (let i = 1; i < values.length && unique; i++) unique = values[i] !== values[i - 1];
  return { values: col.seen, unique, order: orderOf(col.order) };
}

/** Why a column both sides have is excluded from the comparison, or undefined when it is compared. */
function exclusionOf(
  column: string,
  type: ColumnType,
  role: ColumnRole,
  ref: CollectedColumn,
  cur: CollectedColumn,
  options: IdentifierOptions,
): ExcludedColumn | undefined {
  if (options.identifierColumns?.includes(column)) {
    return {
      column,
      type,
      reason: 'identifier',
      source: 'settings',
      detail: 'named in the drift settings (identifier_columns)',
    };
  }
  if (options.inferIdentifiers === false || role !== 'feature') return undefined;
  const detail = inferIdentifier(column, type, evidenceOf(ref), evidenceOf(cur));
  return detail === undefined
    ? undefined
    : { column, type, reason: 'identifier', source: 'inferred', detail };
}

function sampleStd(col: NumericCollected): number {
  return col.seen > 1 ? Math.sqrt(col.m2 / (col.seen - 1)) : 0;
}

/** Equal-width bins over both sides' range, as proportions would be drawn on one axis. */
function histogramPair(
  reference: Float64Array,
  current: Float64Array,
  lo: number,
  hi: number,
): HistogramPair {
  if (!(hi > lo)) {
    return { edges: [lo, hi], reference: [reference.length], current: [current.length] };
  }
  const width = (hi - lo) / HISTOGRAM_BINS;
  const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) =>
    i === HISTOGRAM_BINS ? hi : lo + i * width,
  );
  const count = (values: Float64Array) => {
    const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
    for (let i = 0; i < values.length; i++) {
      const bin = Math.min(HISTOGRAM_BINS - 1, Math.floor(((values[i] as number) - lo) / width));
      counts[bin] = (counts[bin] as number) + 1;
    }
    return counts;
  };
  return { edges, reference: count(reference), current: count(current) };
}

function compareNumeric(
  column: string,
  role: ColumnRole,
  ref: NumericCollected,
  cur: NumericCollected,
  thresholds: DriftThresholds,
): NumericColumnDrift | SkippedColumn {
  if (ref.values.length === 0 || cur.values.length === 0) {
    return skipped(
      column,
      cur.type,
      role,
      `no finite values in the ${ref.values.length === 0 ? 'reference' : 'current file'}`,
    );
  }
  const x = sortedValues(ref);
  const y = sortedValues(cur);
  const ks = ksTwoSampleSorted(x, y);
  // Current first, as SciPy's mannwhitneyu(current, reference): U then counts the current file's wins.
  const mannWhitney = { ...mannWhitneyUSorted(y, x), uOf: 'current' as const };
  const edges = referenceBinEdgesSorted(x, PSI_BINS);
  const refBins = binCountsSorted(x, edges);
  const curBins = binCountsSorted(y, edges);
  const psiValue = psi(refBins, curBins);
  const jsDivergence = jensenShannon(refBins, curBins);
  const refStd = sampleStd(ref);
  const curStd = sampleStd(cur);
  const meanShiftSd =
    refStd === 0
      ? cur.mean === ref.mean
        ? 0
        : Math.sign(cur.mean - ref.mean) * Number.POSITIVE_INFINITY
      : (cur.mean - ref.mean) / refStd;
  const stdRatio = refStd === 0 ? (curStd === 0 ? 1 : Number.POSITIVE_INFINITY) : curStd / refStd;
  const refNull = ref.missing / Math.max(ref.rows, 1);
  const curNull = cur.missing / Math.max(cur.rows, 1);
  const severity = severityOf(
    {
      psi: psiValue,
      jsDivergence,
      ksStatistic: ks.statistic,
      ksPValue: ks.pValue,
      meanShiftSd,
      stdRatio,
      nullFractionDelta: curNull - refNull,
    },
    thresholds,
  );
  return {
    column,
    kind: 'numeric',
    type: cur.type,
    severity,
    role,
    reference: {
      rows: ref.rows,
      nulls: ref.missing,
      nullFraction: refNull,
      mean: ref.mean,
      std: refStd,
      min: ref.min,
      max: ref.max,
    },
    current: {
      rows: cur.rows,
      nulls: cur.missing,
      nullFraction: curNull,
      mean: cur.mean,
      std: curStd,
      min: cur.min,
      max: cur.max,
    },
    ks,
    mannWhitney,
    psi: psiValue,
    jsDivergence,
    meanShiftSd,
    stdRatio,
    quantiles: quantileDeltasSorted(x, y),
    histogram: histogramPair(x, y, Math.min(ref.min, cur.min), Math.max(ref.max, cur.max)),
    sampled: ref.seen > ref.values.length || cur.seen > cur.values.length,
  };
}

function compareCategorical(
  column: string,
  role: ColumnRole,
  ref: CategoricalCollected,
  cur: CategoricalCollected,
  thresholds: DriftThresholds,
): CategoricalColumnDrift | SkippedColumn {
  if (ref.overflow || cur.overflow) {
    return skipped(
      column,
      cur.type,
      role,
      'too many distinct values to compare as categories (identifier-like)',
    );
  }
  const refTotal = ref.rows - ref.missing;
  const curTotal = cur.rows - cur.missing;
  if (refTotal === 0 || curTotal === 0) {
    return skipped(
      column,
      cur.type,
      role,
      `no values in the ${refTotal === 0 ? 'reference' : 'current file'}`,
    );
  }
  const aligned = alignCategories(ref.counts, cur.counts);
  const changes = categoryChanges(ref.counts, cur.counts);
  const newRows = changes.newCategories.reduce((s, c) => s + (cur.counts.get(c) ?? 0), 0);
  const newCategoryFraction = newRows / curTotal;
  const psiValue = psi(aligned.reference, aligned.current);
  const jsDivergence = jensenShannon(aligned.reference, aligned.current);
  const refNull = ref.missing / Math.max(ref.rows, 1);
  const curNull = cur.missing / Math.max(cur.rows, 1);
  const ranked: CategoryCount[] = aligned.categories
    .map((value, i) => ({ value, reference: aligned.reference[i] ?? 0, current: aligned.current[i] ?? 0 }))
    .sort((a, b) => b.reference + b.current - (a.reference + a.current) || (a.value < b.value ? -1 : 1));
  const shown = ranked.slice(0, CATEGORY_CHART_LIMIT);
  const rest = ranked.slice(CATEGORY_CHART_LIMIT);
  return {
    column,
    kind: 'categorical',
    type: cur.type,
    severity: severityOf(
      { psi: psiValue, jsDivergence, nullFractionDelta: curNull - refNull, newCategoryFraction },
      thresholds,
    ),
    role,
    reference: { rows: ref.rows, nulls: ref.missing, nullFraction: refNull, distinct: ref.counts.size },
    current: { rows: cur.rows, nulls: cur.missing, nullFraction: curNull, distinct: cur.counts.size },
    chiSquare: chiSquareHomogeneity(aligned.reference, aligned.current),
    psi: psiValue,
    jsDivergence,
    newCategories: changes.newCategories.slice(0, CATEGORY_LIST_LIMIT),
    newCategoryCount: changes.newCategories.length,
    missingCategories: changes.missingCategories.slice(0, CATEGORY_LIST_LIMIT),
    missingCategoryCount: changes.missingCategories.length,
    newCategoryFraction,
    categories: shown,
    other: {
      reference: rest.reduce((s, c) => s + c.reference, 0),
      current: rest.reduce((s, c) => s + c.current, 0),
    },
  };
}

function skipped(
  column: string,
  type: ColumnType | 'absent',
  role: ColumnRole,
  reason: string,
): SkippedColumn {
  return { column, kind: 'skipped', type, severity: 'NONE', role, reason };
}

function performanceOf(
  reference: CollectedSide,
  current: CollectedSide,
  roles: DriftRoles,
  thresholds: DriftThresholds,
): PerformanceComparison | undefined {
  const { labelColumn, predictionColumn } = roles;
  const ref = reference.performance;
  const cur = current.performance;
  if (!labelColumn || !predictionColumn || !ref || !cur || ref.pairs === 0 || cur.pairs === 0)
    return undefined;
  const labelType = current.schema.columns.find((c) => c.name === labelColumn)?.type;
  // A float label is a regression target; anything else (class ids, strings, booleans) is a class.
  if (labelType === 'float') {
    const refMae = ref.absoluteError / ref.pairs;
    const curMae = cur.absoluteError / cur.pairs;
    const degradation =
      refMae === 0 ? (curMae === 0 ? 0 : Number.POSITIVE_INFINITY) : (curMae - refMae) / refMae;
    return {
      label: labelColumn,
      prediction: predictionColumn,
      metric: 'mae',
      reference: refMae,
      current: curMae,
      degradation,
      degraded: degradation >= thresholds.performanceDegradation,
    };
  }
  const refAccuracy = ref.hits / ref.pairs;
  const curAccuracy = cur.hits / cur.pairs;
  const degradation = refAccuracy === 0 ? 0 : (refAccuracy - curAccuracy) / refAccuracy;
  return {
    label: labelColumn,
    prediction: predictionColumn,
    metric: 'accuracy',
    reference: refAccuracy,
    current: curAccuracy,
    degradation,
    degraded: degradation >= thresholds.performanceDegradation,
  };
}

const atLeast = (severity: Severity, min: Severity) => !severityExceeds(min, severity);

function driftTypesOf(
  columns: ColumnDrift[],
  performance: PerformanceComparison | undefined,
): DriftTypeHint[] {
  const hints: DriftTypeHint[] = [];
  const drifting = columns.filter((c) => c.kind !== 'skipped' && atLeast(c.severity, 'MODERATE'));
  const features = drifting.filter((c) => c.role === 'feature').map((c) => c.column);
  if (features.length > 0) {
    hints.push({
      type: 'covariate_shift',
      columns: features,
      message: `The input distribution moved in ${features.length} column(s): ${features.join(', ')}.`,
    });
  }
  const labels = drifting.filter((c) => c.role === 'label').map((c) => c.column);
  if (labels.length > 0) {
    hints.push({
      type: 'prior_shift',
      columns: labels,
      message: `The label distribution moved (${labels.join(', ')}): class priors or target level changed.`,
    });
  }
  if (performance?.degraded) {
    hints.push({
      type: 'concept_drift',
      columns: [performance.label, performance.prediction],
      message:
        performance.metric === 'accuracy'
          ? `Prediction accuracy fell from ${performance.reference.toFixed(3)} to ${performance.current.toFixed(3)}: the relation between inputs and label changed.`
          : `Prediction MAE rose from ${performance.reference.toPrecision(4)} to ${performance.current.toPrecision(4)}: the relation between inputs and label changed.`,
    });
  }
  const schema = columns.filter(
    (c) =>
      c.kind === 'skipped' &&
      (c.type === 'absent' || c.reason.startsWith('new column') || c.reason.startsWith('type changed')),
  );
  if (schema.length > 0) {
    hints.push({
      type: 'schema_change',
      columns: schema.map((c) => c.column),
      message: `Columns were added, removed or retyped: ${schema.map((c) => c.column).join(', ')}.`,
    });
  }
  return hints;
}

function recommendationsOf(
  severity: Severity,
  columns: ColumnDrift[],
  hints: DriftTypeHint[],
): DriftRecommendation[] {
  const out: DriftRecommendation[] = [];
  const has = (type: DriftTypeHint['type']) => hints.find((h) => h.type === type);
  const concept = has('concept_drift');
  if (concept) {
    out.push({
      code: 'RETRAIN',
      columns: concept.columns,
      message:
        'Retrain on recent data: the model predicts this file worse than the reference. Hold promotion until a retrained model is validated.',
    });
  }
  const covariate = has('covariate_shift');
  const severe = columns
    .filter((c) => c.kind !== 'skipped' && c.role === 'feature' && atLeast(c.severity, 'HIGH'))
    .map((c) => c.column);
  if (!concept && severe.length > 0) {
    out.push({
      code: 'RETRAIN',
      columns: severe,
      message: `Retrain or fine-tune with this data: inputs shifted strongly (${severe.join(', ')}), so a model fit on the reference extrapolates.`,
    });
  }
  if (covariate) {
    const moderate = covariate.columns.filter((c) => !severe.includes(c));
    if (moderate.length > 0) {
      out.push({
        code: 'INVESTIGATE_COLUMN',
        columns: moderate,
        message: `Check the upstream source of ${moderate.join(', ')}: a moderate shift is often a pipeline or unit change rather than the world changing.`,
      });
    }
  }
  const newCats = columns.filter(
    (c): c is CategoricalColumnDrift => c.kind === 'categorical' && c.newCategoryCount > 0,
  );
  if (newCats.length > 0) {
    out.push({
      code: 'UPDATE_ENCODERS',
      columns: newCats.map((c) => c.column),
      message: `Unseen categories appeared (${newCats.map((c) => `${c.column}: ${c.newCategoryCount}`).join(', ')}): refit encoders/vocabularies or map them to an "unknown" bucket before training or serving.`,
    });
  }
  const prior = has('prior_shift');
  if (prior) {
    out.push({
      code: 'RECALIBRATE',
      columns: prior.columns,
      message:
        'Label frequencies changed: review labelling, reweight classes and recalibrate decision thresholds.',
    });
  }
  const schema = has('schema_change');
  if (schema) {
    out.push({
      code: 'UPDATE_FEATURE_PIPELINE',
      columns: schema.columns,
      message:
        'The schema changed: update feature definitions and downstream consumers before using this version.',
    });
  }
  if (out.length === 0) {
    out.push({
      code: severity === 'NONE' ? 'NONE' : 'MONITOR',
      message:
        severity === 'NONE'
          ? 'No action: the file matches the reference distribution.'
          : 'Minor differences only: keep monitoring; no retraining needed.',
    });
  }
  return out;
}

function countSeverities(columns: ColumnDrift[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const c of columns) counts[c.severity]++;
  return counts;
}

function maxSeverity(values: Severity[]): Severity {
  return values.reduce<Severity>((worst, s) => (severityExceeds(s, worst) ? s : worst), 'NONE');
}

/** Compares the current side with the reference: one entry per column of either side, worst first. */
export function compareDatasets(
  reference: CollectedSide,
  current: CollectedSide,
  options: CompareOptions,
): DriftReport {
  const thresholds = options.thresholds ?? DEFAULT_DRIFT_THRESHOLDS;
  const columns: ColumnDrift[] = [];
  const excludedColumns: ExcludedColumn[] = [];
  const refTypes = new Map(reference.schema.columns.map((c) => [c.name, c.type]));
  for (const c of current.schema.columns) {
    const role = roleOf(c.name, options);
    const refType = refTypes.get(c.name);
    const cur = current.columns.get(c.name);
    const ref = reference.columns.get(c.name);
    if (refType === undefined) {
      // A new column is a schema change whatever it holds, identifiers included.
      columns.push(skipped(c.name, c.type, role, 'new column (not in the reference)'));
      continue;
    }
    if (!cur || !ref) {
      columns.push(skipped(c.name, c.type, 'time', 'time column: moves between versions by design'));
      continue;
    }
    if (cur.kind !== ref.kind) {
      columns.push(skipped(c.name, c.type, role, `type changed from ${refType} to ${c.type}`));
      continue;
    }
    const exclusion = exclusionOf(c.name, c.type, role, ref, cur, options);
    if (exclusion) excludedColumns.push(exclusion);
    else if (cur.kind === 'numeric' && ref.kind === 'numeric') {
      columns.push(compareNumeric(c.name, role, ref, cur, thresholds));
    } else if (cur.kind === 'categorical' && ref.kind === 'categorical') {
      columns.push(compareCategorical(c.name, role, ref, cur, thresholds));
    }
  }
  const currentNames = new Set(current.schema.columns.map((c) => c.name));
  for (const c of reference.schema.columns) {
    if (!currentNames.has(c.name)) {
      columns.push(
        skipped(
          c.name,
          'absent',
          roleOf(c.name, options),
          `missing from the current file (reference type ${c.type})`,
        ),
      );
    }
  }
  const performance = performanceOf(reference, current, options, thresholds);
  const driftTypes = driftTypesOf(columns, performance);
  let severity = maxSeverity(columns.map((c) => c.severity));
  // A model that got worse is the drift that matters most, whatever the marginals say.
  if (performance?.degraded && !atLeast(severity, 'HIGH')) severity = 'HIGH';
  const order = (s: Severity) => SEVERITIES.indexOf(s);
  columns.sort(
    (a, b) =>
      order(b.severity) - order(a.severity) || (a.column < b.column ? -1 : a.column > b.column ? 1 : 0),
  );
  return {
    kind: 'drift',
    status: 'COMPARED',
    reference: { version: options.reference.version, pinned: options.reference.pinned, rows: reference.rows },
    current: { rows: current.rows },
    severity,
    severityCounts: countSeverities(columns),
    thresholds,
    columns,
    excludedColumns,
    driftTypes,
    ...(performance && { performance }),
    recommendations: recommendationsOf(severity, columns, driftTypes),
  };
}

/** The report of a dataset's first file: nothing to compare with, nothing to hold. */
export function noReferenceReport(
  rows: number,
  thresholds: DriftThresholds = DEFAULT_DRIFT_THRESHOLDS,
): DriftReport {
  return {
    kind: 'drift',
    status: 'NO_REFERENCE',
    reference: null,
    current: { rows },
    severity: 'NONE',
    severityCounts: countSeverities([]),
    thresholds,
    columns: [],
    excludedColumns: [],
    driftTypes: [],
    recommendations: [
      {
        code: 'NONE',
        message: 'First version of the dataset: it becomes the reference later files are compared with.',
      },
    ],
  };
}
