export * from './great-expectations.js';
export * from './suite.js';
export * from './validator.js';
