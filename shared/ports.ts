/**
 * What the use cases need from the outside world, one file per context in ports/. Adapters in
 * shared/adapters implement these over the AWS SDK; use cases receive them as `deps`, so the same code runs
 * in Lambda, locally and in tests. Importers name this index, not the files behind it.
 */
export type * from './ports/api-keys.js';
export type * from './ports/catalog.js';
export type * from './ports/connectors.js';
export type * from './ports/datasets.js';
export type * from './ports/features.js';
export type * from './ports/lifecycle.js';
export type * from './ports/lineage.js';
export type * from './ports/objects.js';
// `systemClock` is a value: a type-only re-export would drop it.
export * from './ports/observability.js';
export type * from './ports/page.js';
export type * from './ports/runs.js';
export type * from './ports/sources.js';
export type * from './ports/tables.js';
export type * from './ports/training-sets.js';
export type * from './ports/versions.js';
