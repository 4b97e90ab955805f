export * from './normalize.js';
export * from './spec.js';
export * from './split.js';
export * from './transforms.js';
