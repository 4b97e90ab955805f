/**
 * Data-quality assessment (pure) for the "quality" stage and the report it produces; the stage, the
 * quality gate and the API that use them live elsewhere.
 */
export * from './assess.js';
export * from './types.js';
