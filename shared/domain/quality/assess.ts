/**
 * Data-quality assessment for the "quality" stage. `createQualityAssessor(schema, profile)` reads a
 * file's record batches once, after the profile stage, and reports per column missing values, outliers
 * (z-score and IQR fences, from the profile's mean, std and quartiles), constant periods (runs of one
 * repeated value), constant columns and, with a time column, a noise estimate; per file, exactly
 * duplicated rows. Each finding becomes a scored issue and a recommendation.
 *
 * Constant periods and noise are measured in time order. Whether a file is in time order is only known
 * at its end, so with a time column every column is buffered compactly (8 bytes a numeric cell, 4 or 8
 * a string cell, 1 a bool cell), up to `maxBufferedRows`; at `result()` an out-of-order file is reordered
 * by a stable sort on the time column, while for an ordered one the runs measured while streaming
 * already are in time order and the buffers only serve the noise estimates. Duplicates cost one 64-bit
 * hash per distinct row, in a set sized from the profile's row count (13-26 bytes a row).
 *
 * The result depends only on the rows and their order, not on how they were split into batches.
 */
import { InternalError, InvalidInputError } from '../../errors.js';
import { FixedHashSet } from '../hash-set.js';
import { fmix32 } from '../hashing.js';
import type { DatasetProfile } from '../profile/profiler.js';
import { checkBatchShape, type TableSchema } from '../table.js';
import {
  BoolColumn,
  type ColumnAssessor,
  type FinishContext,
  type Measures,
  NumericColumn,
  StringColumn,
} from './columns.js';
import { bySeverity, hasCritical, issuesOf, percent, recommendationsFor, scoreOf } from './issues.js';
import { QUALITY_PARTIAL_FORMAT } from './partial.js';
import { qualityStatusOf, severityFor } from './status.js';
import { type QualityAssessor, type QualityOptions, type Resolved, resolveOptions } from './thresholds.js';
import type { ColumnQuality, QualityIssue, QualityReport } from './types.js';

/**
 * Assesses the quality of the rows described by `profile` (the profile stage's result for the same
 * rows, in the same schema), reading them once through `add`.
 */
export function createQualityAssessor(
  schema: TableSchema,
  profile: DatasetProfile,
  options: QualityOptions = {},
): QualityAssessor {
  const resolved = resolveOptions(schema, profile, options);
  const { timeIndex } = resolved;
  // Buffers only serve reordering by time; a file known (from its profile) to exceed the cap skips them.
  const mergeable = options.mergeable ?? false;
  let buffering = !mergeable && timeIndex >= 0 && profile.rowCount <= resolved.maxBufferedRows;
  let overflowed = timeIndex >= 0 && !buffering;
  const columns = columnAssessors(schema, profile, resolved, buffering);
  if (buffering) for (const column of columns) column.reserve(profile.rowCount);
  // Two different rows are taken for equal only if all 64 bits of their hashes agree: about n²/2⁶⁵ for n
  // rows (3·10⁻⁸ for a million rows, 3·10⁻⁶ for ten million), and such a collision miscounts one row. The
  // hash is not cryptographic, so rows crafted to collide are not guarded against.
  const duplicates = new FixedHashSet(2, profile.rowCount);
  let la = new Int32Array(0);
  let lb = new Int32Array(0);
  let rows = 0;
  let duplicateRows = 0;
  // In time order so far: non-missing times non-decreasing, and none after a missing one.
  let inTimeOrder = true;
  let firstTime = Number.NaN;
  let lastTime = Number.NEGATIVE_INFINITY;
  let sawMissingTime = false;
  return {
    add(batch) {
      checkBatchShape(schema, batch, 'assessed');
      const n = batch.numRows;
      if (buffering && rows + n > resolved.maxBufferedRows) {
        buffering = false;
        overflowed = true;
        for (const column of columns) column.reserve(false);
      }
      if (buffering) for (const column of columns) column.reserve(rows + n);
      if (la.length < n) {
        la = new Int32Array(n);
        lb = new Int32Array(n);
      }
      la.fill(0x9747b28c | 0, 0, n);
      lb.fill(0x5bd1e995, 0, n);
      for (let c = 0; c < columns.length; c++) columns[c]?.consume(batch.columns[c] ?? [], n, la, lb);
      const width = columns.length;
      for (let r = 0; r < n; r++) {
        let a = (la[r] as number) ^ width;
        let b = (lb[r] as number) ^ width;
        a = (a + b) | 0;
        b = (b + a) | 0;
        a = fmix32(a);
        b = fmix32(b);
        a = (a + b) | 0;
        b = (b + a) | 0;
        if (!duplicates.add(a >>> 0, b >>> 0)) duplicateRows++;
      }
      if (timeIndex >= 0 && inTimeOrder) {
        const times = batch.columns[timeIndex] ?? [];
        for (let r = 0; r < n; r++) {
          const t = times[r];
          if (typeof t !== 'number' || Number.isNaN(t)) {
            sawMissingTime = true;
          } else if (sawMissingTime || t < lastTime) {
            inTimeOrder = false;
            break;
          } else {
            if (lastTime === Number.NEGATIVE_INFINITY) firstTime = t;
            lastTime = t;
          }
        }
      }
      rows += n;
    },

    partial() {
      if (!mergeable) throw new InternalError('quality: partial() needs an assessor made mergeable');
      return {
        format: QUALITY_PARTIAL_FORMAT,
        rows,
        rowHashes: duplicates.hashes(),
        time: { inOrder: inTimeOrder, first: firstTime, last: lastTime, sawMissing: sawMissingTime },
        timeIndex,
        columns: columns.map((c) => c.partial()),
      };
    },

    result() {
      if (rows !== profile.rowCount) {
        throw new InvalidInputError(
          `the profile describes ${profile.rowCount} rows but the assessor read ${rows}`,
        );
      }
      const notes: string[] = [];
      const timeName = schema.columns[timeIndex]?.name;
      let order: 'time' | 'file' = 'file';
      const context: FinishContext = { order: null, rerun: false, noise: false, diffs: null, rows };
      if (timeName !== undefined) {
        if (!overflowed) {
          order = 'time';
          context.noise = true;
          const noisy = columns.some(
            (c) =>
              c instanceof NumericColumn &&
              !c.isTime &&
              (c.schema.type === 'int' || c.schema.type === 'float'),
          );
          context.diffs = noisy ? new Float64Array(rows) : null;
          if (!inTimeOrder) {
            context.order = timeOrder(columns[timeIndex], rows);
            context.rerun = true;
          }
        } else if (inTimeOrder) {
          order = 'time';
          notes.push(
            `more than ${resolved.maxBufferedRows} rows: no noise estimates (the rows were in order of ` +
              `"${timeName}", so constant periods are in time order)`,
          );
        } else {
          notes.push(
            `more than ${resolved.maxBufferedRows} rows, not in order of "${timeName}": constant ` +
              'periods measured in file order, no noise estimates',
          );
        }
      }
      const measured = columns.map((column) => ({ column, measures: column.finish(context) }));
      return reportOf(schema, profile, resolved, measured, { rows, duplicateRows, order, notes });
    },
  };
}

/** One assessor a column, against the column's profile. */
export function columnAssessors(
  schema: TableSchema,
  profile: DatasetProfile,
  resolved: Resolved,
  buffering: boolean,
): ColumnAssessor[] {
  const { timeIndex } = resolved;
  return schema.columns.map((column, i) => {
    const columnProfile = profile.columns.find((c) => c.name === column.name);
    if (!columnProfile || columnProfile.type !== column.type) {
      throw new InvalidInputError(`the profile has no ${column.type} column ${column.name}`);
    }
    switch (column.type) {
      case 'int':
      case 'float':
      case 'timestamp':
        return new NumericColumn(column, columnProfile, resolved, buffering, i === timeIndex);
      case 'string':
        return new StringColumn(column, columnProfile, resolved, buffering);
      case 'bool':
        return new BoolColumn(column, resolved, buffering);
      default:
        throw new InvalidInputError(`column ${column.name} has unknown type ${String(column.type)}`);
    }
  });
}

/**
 * Row positions sorted by time (stable: equal times keep file order), rows without a time last in file
 * order.
 */
function timeOrder(timeColumn: ColumnAssessor | undefined, rows: number): Uint32Array {
  const times = timeColumn instanceof NumericColumn ? timeColumn.bufferedValues() : null;
  const order = new Uint32Array(rows);
  if (times === null) {
    for (let r = 0; r < rows; r++) order[r] = r;
    return order;
  }
  let timed = 0;
  for (let r = 0; r < rows; r++) if (!Number.isNaN(times[r])) order[timed++] = r;
  let untimed = timed;
  for (let r = 0; r < rows; r++) if (Number.isNaN(times[r])) order[untimed++] = r;
  order.subarray(0, timed).sort((x, y) => {
    const tx = times[x] as number;
    const ty = times[y] as number;
    return tx < ty ? -1 : tx > ty ? 1 : x - y;
  });
  return order;
}

/** The report from the columns' measures and the file's counts (one pass's, or a merge's). */
export function reportOf(
  schema: TableSchema,
  profile: DatasetProfile,
  resolved: Resolved,
  measured: readonly { column: ColumnAssessor; measures: Measures }[],
  file: { rows: number; duplicateRows: number; order: 'time' | 'file'; notes: readonly string[] },
): QualityReport {
  const { rows, duplicateRows, order, notes } = file;
  const timeName = schema.columns[resolved.timeIndex]?.name;
  const columnIssues = measured.map(({ column, measures }) =>
    issuesOf(column.schema, measures, column.schema.name === timeName, order, timeName, resolved),
  );
  const duplicateFraction = rows > 0 ? duplicateRows / rows : 0;
  const fileIssues: QualityIssue[] = [];
  const duplicateSeverity = severityFor(duplicateFraction, resolved.thresholds.duplicateFraction);
  if (duplicateSeverity !== null) {
    fileIssues.push({
      kind: 'duplicate_rows',
      severity: duplicateSeverity,
      value: duplicateFraction,
      penalty: resolved.thresholds.penalties[duplicateSeverity],
      message: `${duplicateRows} of ${rows} rows (${percent(duplicateFraction)}) exactly repeat an earlier row`,
    });
  }
  const t = resolved.thresholds;
  const qualities: ColumnQuality[] = measured.map(({ column, measures }, i) => {
    const issues = columnIssues[i] ?? [];
    const score = scoreOf(issues);
    const quality: ColumnQuality = {
      column: column.schema.name,
      type: column.schema.type,
      rows,
      missing: { count: measures.missing, fraction: rows > 0 ? measures.missing / rows : 0 },
      ...(measures.outliers && { outliers: measures.outliers }),
      ...(measures.constantPeriods && { constantPeriods: measures.constantPeriods }),
      ...(measures.noise && { noise: measures.noise }),
      distinct: profile.columns.find((c) => c.name === column.schema.name)?.distinct.value ?? 0,
      score,
      status: qualityStatusOf(score, hasCritical(issues), t),
    };
    return quality;
  });
  const issues = [...fileIssues, ...columnIssues.flat()].sort(bySeverity);
  const score = scoreOf(issues);
  const report: QualityReport = {
    kind: 'quality',
    rows,
    ...(order === 'time' && timeName !== undefined && { timeColumn: timeName }),
    order,
    ...(notes.length > 0 && { notes: [...notes] }),
    duplicates: { count: duplicateRows, fraction: duplicateFraction },
    columns: qualities,
    issues,
    score,
    status: qualityStatusOf(score, hasCritical(issues), t),
    recommendations: recommendationsFor(issues, qualities, duplicateRows, duplicateFraction),
  };
  return report;
}
