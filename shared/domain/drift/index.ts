/**
 * Drift detection (pure): the two-sample statistics (stats.ts, each matched to a SciPy call), the
 * severity thresholds (severity.ts), and the comparison of two datasets column by column (compare.ts)
 * into the report the drift stage writes (report.ts).
 */
export * from './compare.js';
export * from './identifiers.js';
export * from './report.js';
export * from './severity.js';
export * from './stats.js';
