/**
 * Limits on a file's columns (see parse-file.ts). Kept apart from the parser so that the API's request
 * schemas can name them without loading the parser and its format libraries.
 */

export const DEFAULT_MAX_COLUMNS = 2_000;
/** In characters (code points). */
export const DEFAULT_MAX_COLUMN_NAME_LENGTH = 256;

/** The most a dataset config may raise the limits to, so that a slip of the keyboard cannot void them. */
export const MAX_COLUMNS_LIMIT = 100_000;
export const MAX_COLUMN_NAME_LENGTH_LIMIT = 10_000;
