/**
 * The parse stage's rules: a file's bytes in, a schema and typed record batches out.
 *
 * Text formats (CSV, JSONL, JSON array) are read twice, so memory stays flat whatever the file size:
 * pass 1 (inside `parseFile`) sniffs the CSV dialect and header, infers each column's type with a
 * constant-size summary, counts records and checks type overrides; pass 2 (`batches`) converts and emits
 * batches. Hence `open()` is called twice and must return the same bytes both times. Parquet is read once,
 * row group by row group, with the file's own schema.
 *
 * Options (from the dataset's config):
 * - columnMapping renames source columns (source name → target name); unmapped columns keep their name.
 * - typeOverrides (by target name) replace the inferred type; a value that does not convert fails its
 *   record. Overrides and mappings for columns the file does not have are ignored.
 * - dedupKeys (target names) drop every record whose key was seen before, keeping the first; see dedup.ts
 *   for the memory it takes.
 * - maxErrorRate (default 0): when failed records / records read exceeds it, the parse throws ParseError
 *   (the file is quarantined). For text formats this is known after pass 1, before any batch is emitted;
 *   for Parquet it is checked as rows are read against the file's row count.
 * - encoding (text formats): see encoding.ts; bytes invalid in it are an EncodingError, never replaced.
 * - allowEmptyBatches (default false): whether a file with columns but no rows (a header-only CSV) may
 *   pass; otherwise it is an EmptyFileError, like a file without bytes or columns, which never passes.
 *   Nothing else would stop such a file from becoming an empty current version.
 * - maxColumns (default 2,000) and maxColumnNameLength (default 256 characters, after the mapping):
 *   beyond them the file is refused (TooManyColumnsError, ColumnNameTooLongError) before its rows are read.
 *
 * Every change the parser makes to the file's names is reported in `renamedColumns` (a blank or repeated
 * CSV header name), and the encoding it decoded text with in `encoding`.
 */
import { parseCsv } from './csv-file.js';
import { parseJson } from './json-file.js';
import { parseParquet } from './parquet-file.js';
import type { ParsedFile, ParseInput, ParseOptions } from './parsed-file.js';
import { checkOptions } from './plan.js';

export type { CsvRangeInference, CsvRangeInput } from './csv-ranges.js';
export { inferCsvRange, readCsvRange } from './csv-ranges.js';
export type { JsonlRangeInference, JsonlRangeInput, SettledJson } from './jsonl-ranges.js';
export { inferJsonlRange, readJsonlRange, settleJsonRanges } from './jsonl-ranges.js';
export type {
  CsvLayout,
  ParsedFile,
  ParseInput,
  ParseMetrics,
  ParseOptions,
  RangeRead,
  TextFormat,
} from './parsed-file.js';
export {
  DEFAULT_BATCH_BYTES,
  DEFAULT_BATCH_SIZE,
  DEFAULT_MAX_ROW_GROUP_BYTES,
  REPLAY_BYTES,
} from './parsed-file.js';

/**
 * Parses one file. Resolves after pass 1 (text formats) or after reading the footer (Parquet), with the
 * output schema; throws ParseError when the file cannot be read as its format, when too many records fail,
 * or when the options do not fit the file (a dedup key it lacks, a mapping that collides); EncodingError,
 * EmptyFileError, TooManyColumnsError or ColumnNameTooLongError as described above.
 */
export async function parseFile(input: ParseInput, options: ParseOptions = {}): Promise<ParsedFile> {
  checkOptions(options);
  switch (input.format) {
    case 'csv':
      return parseCsv(input.open, options);
    case 'jsonl':
    case 'json':
      return parseJson(input.open, input.format, options);
    case 'parquet':
      return parseParquet(input.source, options);
  }
}
