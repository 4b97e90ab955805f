/**
 * The strata SDK: what `import … from 'strata/client'` gives. One line per part, so each part can grow
 * without touching the others.
 */

export * from './arrow.js';
export * from './data-loader.js';
export * from './data-manager.js';
export * from './feature-store.js';
export * from './http.js';
export * from './ingest.js';
export * from './parquet.js';
export * from './range-source.js';
export * from './strata.js';
export * from './table-reader.js';
export * from './validator.js';
