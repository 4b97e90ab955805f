export * from './suite.js';
export * from './validator.js';
