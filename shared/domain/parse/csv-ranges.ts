/** A CSV file processed in parts: a byte range's inference and its batches, with the whole file's layout. */
import { ParseError } from '../../errors.js';
import type { ColumnType, ReadBatch, TableSchema } from '../table.js';
import { counted } from './byte-sources.js';
import { csvBatches } from './csv-file.js';
import { type CsvTokenizer, type CsvTokenizerOptions, tokenizeCsv } from './csv-tokenizer.js';
import { checkedUtf8Range } from './encoding.js';
import { ColumnInference, type ColumnInferenceState, convertBytes, FAILED } from './infer.js';
import { MAX_RECORD_CHARS } from './jsonl.js';
import type { CsvLayout, ParseOptions, RangeRead } from './parsed-file.js';
import { Counters, shown } from './plan.js';
import { RowSink } from './row-sink.js';

/** A byte range of a CSV file, read with the whole file's layout (what a range owns: see CsvTokenizer). */
export interface CsvRangeInput {
  /** The file's bytes from `start` on: layout.dataStart, or a record start a range before reported. */
  open: () => AsyncIterable<Uint8Array>;
  /** Offset in the file of open()'s first byte. */
  start: number;
  /** Offset in the file where the range ends. */
  end: number;
  /** From the whole file's parse (ParsedFile.csvLayout); the file must have a `dataStart`. */
  layout: CsvLayout;
}

/** What a range's first pass found; `inference` merges across ranges into the whole file's. */
export interface CsvRangeInference {
  records: number;
  /** Per column, by position (ColumnInference.fromJSON / merge). */
  inference: ColumnInferenceState[];
  recordsFailed: number;
  /** The first failed record, numbered within the range. */
  firstFailure?: { reason: string; record: number };
  /** Offset in the file where the next range's records start. */
  nextOffset: number;
}

function rangeTokenizerOptions(input: CsvRangeInput): CsvTokenizerOptions {
  const { layout } = input;
  if (layout.dataStart === undefined) {
    throw new ParseError('a CSV file is read in byte ranges only in UTF-8 or a single-byte encoding');
  }
  return {
    delimiter: layout.delimiter,
    quote: layout.quote,
    width: layout.width,
    maxRecordChars: MAX_RECORD_CHARS,
    end: input.end - input.start,
    ...(layout.lineEnding && { lineEnding: layout.lineEnding }),
    ...(layout.singleByte && { singleByte: layout.singleByte }),
  };
}

/** A range's bytes: UTF-8 checked as the whole file's are; a single-byte encoding's have nothing to check. */
function rangeBytes(input: CsvRangeInput, source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  return input.layout.singleByte ? source : checkedUtf8Range(source, input.start);
}

/**
 * The first pass over a range: per-column inference and the records that fail `types` where a type is
 * given (a type override, by position). Merged over all ranges, the states settle the file's schema as
 * one pass over the whole file does.
 */
export async function inferCsvRange(
  input: CsvRangeInput,
  types: readonly (ColumnType | undefined)[] = [],
): Promise<CsvRangeInference> {
  const options = rangeTokenizerOptions(input);
  const inference = Array.from({ length: input.layout.width }, () => new ColumnInference());
  let records = 0;
  let recordsFailed = 0;
  let firstFailure: { reason: string; record: number } | undefined;
  const tokenizer = await tokenizeCsv(rangeBytes(input, input.open()), options, (r) => {
    records++;
    const { bytes, starts, ends, fieldCount, firstField } = r;
    let failed: string | undefined;
    for (let i = 0; i < fieldCount; i++) {
      const s = starts[firstField + i] as number;
      const e = ends[firstField + i] as number;
      (inference[i] as ColumnInference).observeBytes(bytes, s, e);
      const type = types[i];
      if (type !== undefined && failed === undefined && convertBytes(bytes, s, e, type) === FAILED) {
        failed = `${shown(r.text(i))} in column ${i + 1} is not a ${type}`;
      }
    }
    if (failed !== undefined) {
      recordsFailed++;
      firstFailure ??= { reason: failed, record: records };
    }
  });
  return {
    records,
    inference: inference.map((c) => c.toJSON()),
    recordsFailed,
    ...(firstFailure && { firstFailure }),
    nextOffset: input.start + tokenizer.nextOffset,
  };
}

/**
 * The second pass over a range: its records converted to `schema` (the whole file's, settled from the
 * merged inference), in batches. Records that do not convert are left out (the first pass counted them).
 * Duplicates by key are not dropped here: keys repeat across ranges, so that is the caller's to settle.
 */
export function readCsvRange(
  input: CsvRangeInput,
  schema: TableSchema,
  options: Pick<ParseOptions, 'batchSize' | 'batchBytes'> = {},
): RangeRead {
  const tokenizerOptions = rangeTokenizerOptions(input);
  const counters = new Counters();
  let tokenizer: CsvTokenizer | undefined;
  async function* batches(): AsyncIterable<ReadBatch> {
    const source = counted(input.open(), (n) => {
      counters.bytesRead += n;
    });
    yield* csvBatches(
      rangeBytes(input, source),
      tokenizerOptions,
      schema.columns.map((c) => c.type),
      new RowSink(schema, options, [], counters),
      false,
      (t) => {
        tokenizer = t;
      },
    );
    counters.recordsRead = tokenizer?.records ?? 0;
    counters.finishRange();
  }
  return {
    batches: batches(),
    metrics: () => counters.snapshot(),
    nextOffset: () =>
      tokenizer !== undefined && counters.finished !== undefined
        ? input.start + tokenizer.nextOffset
        : undefined,
  };
}
