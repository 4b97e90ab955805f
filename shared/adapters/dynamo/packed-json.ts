/**
 * JSON values that grow with the width of the data and must still fit one DynamoDB item (400 KB): a
 * version's schema and a dataset's validation suite (the inferred one lists every column twice, and a
 * completeness check per column without nulls). 2,000 columns with names of 200 characters are 477 KB of
 * schema and up to 1.4 MB of inferred suite as JSON.
 *
 * Up to INLINE_JSON_BYTES a value is stored as it is (a map: readable in the console, and what items
 * written before look like). Above, the same attribute holds the value as brotli-compressed JSON (Binary).
 * Column names compress well (shared prefixes and words; brotli's 16 MB window also finds the suite's
 * repeated names): 2,000 names like `sensor_12_measurement_3_rolling_mean_…` of ~120 characters take
 * ~5 KB. Names that compress badly can still be too many: a value over PACKED_LIMIT_BYTES compressed
 * (2,000 names of 200 random letters and digits are ~300 KB, of 256 ~380 KB) is refused with
 * InvalidInputError, which names the sizes, instead of a DynamoDB ValidationException; a stage that meets
 * it quarantines the file. The way past that bound is the schema in S3 next to the snapshot, which needs
 * every function that returns versions to read versions/ (see README, "Small state").
 */
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { InvalidInputError } from '../../errors.js';

export const INLINE_JSON_BYTES = 64 * 1024;
/** Leaves 80 KB of the item to everything else (keys, counters, config, report keys). */
export const PACKED_LIMIT_BYTES = 320 * 1024;

/** The value to store: itself when small, else its compressed JSON. Throws InvalidInputError when too large. */
export function packJson(value: unknown, what: string): unknown {
  const json = Buffer.from(JSON.stringify(value));
  if (json.byteLength <= INLINE_JSON_BYTES) return value;
  const packed = brotliCompressSync(json, {
    params: {
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      // Quality 9: on names that compress badly (the ones the limit is about) within 1% of quality 11, in
      // a quarter of the time or less (~0.2 s for 1 MB of random names).
      [constants.BROTLI_PARAM_QUALITY]: 9,
      [constants.BROTLI_PARAM_LGWIN]: 24,
      [constants.BROTLI_PARAM_SIZE_HINT]: json.byteLength,
    },
  });
  if (packed.byteLength > PACKED_LIMIT_BYTES) {
    throw new InvalidInputError(
      `${what} is ${kb(json.byteLength)} as JSON and still ${kb(packed.byteLength)} compressed, more than ` +
        `the ${kb(PACKED_LIMIT_BYTES)} a record can hold: use fewer or shorter column names`,
    );
  }
  return new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
}

/** What packJson stored, as the value it was given. */
export function unpackJson(stored: unknown): unknown {
  if (!(stored instanceof Uint8Array)) return stored;
  return JSON.parse(brotliDecompressSync(stored).toString('utf8'));
}

function kb(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} KB`;
}
