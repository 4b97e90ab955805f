export * from './great-expectations.js';
export {
  type CheckPartial,
  chunkRowOf,
  decodeValidationPartial,
  encodeValidationPartial,
  mergeValidation,
  VALIDATION_PARTIAL_FORMAT,
  type ValidationMerge,
  type ValidationPartial,
} from './partial.js';
export * from './suite.js';
export * from './validator.js';
