/**
 * A JSON Lines file processed in parts (a JSON array re-cut into JSON Lines pieces is read as one whole range
 * per piece): a range's inference, the ranges' settled schema, a range's batches.
 */
import type { ReadBatch, TableSchema } from '../table.js';
import { counted } from './byte-sources.js';
import { checkedUtf8Range } from './encoding.js';
import { ColumnInference, type ColumnInferenceState } from './infer.js';
import { JsonKeys, jsonBatches } from './json-file.js';
import { JsonLineSplitter, type JsonSourceRecord } from './jsonl.js';
import type { ParseOptions, RangeRead } from './parsed-file.js';
import {
  type ColumnPlan,
  Counters,
  checkColumnCount,
  checkColumnName,
  checkErrorRate,
  checkNotEmpty,
  checkOptions,
  overrideFor,
  settleSchema,
  targetName,
} from './plan.js';
import { RowSink } from './row-sink.js';

/** A byte range of a UTF-8 JSON Lines file (what a range owns: see JsonLineSplitter). */
export interface JsonlRangeInput {
  /** The file's bytes from `start` on, `start` being a line start (the data's, or a range's first line). */
  open: () => AsyncIterable<Uint8Array>;
  /** Offset in the file of open()'s first byte. */
  start: number;
  /** Offset in the file where the range ends: it owns the lines that start before it. */
  end: number;
}

/** What a range's first pass found; ranges settle (settleJsonlRanges) into the whole file's schema. */
export interface JsonlRangeInference {
  /** Records (non-blank lines), read or not. */
  records: number;
  /** Of them, the ones that read as objects: what a column's nullability is judged against. */
  valid: number;
  /** Lines the range owns, blank ones included (the file's line numbers of the next range follow them). */
  lines: number;
  /** Source keys in the order the range first saw them. */
  keys: string[];
  /** Per key, in the order of `keys` (ColumnInference.fromJSON / merge). */
  inference: ColumnInferenceState[];
  /** Unreadable lines and records that fail a type override. */
  recordsFailed: number;
  /** The first failed record, its line and record numbered within the range. */
  firstFailure?: { reason: string; line: number; record: number };
  /** Offset in the file where the next range's lines start. */
  nextOffset: number;
}

/** A range's records, read with `splitter` (which then says how many lines it read and where it stopped). */
async function* jsonlRangeRecords(
  input: JsonlRangeInput,
  splitter: JsonLineSplitter,
  onBytes?: (n: number) => void,
): AsyncIterable<JsonSourceRecord[]> {
  // A range without a line start owns nothing; its bytes belong to the line an earlier range reads on.
  if (input.end <= input.start) return;
  const source = onBytes ? counted(input.open(), onBytes) : input.open();
  for await (const chunk of checkedUtf8Range(source, input.start)) {
    const records = splitter.push(chunk);
    if (records.length > 0) yield records;
    if (splitter.done) return;
  }
  const rest = splitter.finish();
  if (rest.length > 0) yield rest;
}

/**
 * The first pass over a range: the keys in first-seen order with their inference, and the records that
 * fail (unreadable lines; values a type override of the key's target column cannot take), as the single
 * parse's first pass counts them. Column names are checked by the settle, against the whole file's order;
 * a range with more keys than `maxColumns` is refused here already, since the file has at least as many.
 */
export async function inferJsonlRange(
  input: JsonlRangeInput,
  options: Pick<ParseOptions, 'columnMapping' | 'typeOverrides' | 'maxColumns'> = {},
): Promise<JsonlRangeInference> {
  const splitter = new JsonLineSplitter({ end: input.end - input.start });
  const keys = new JsonKeys(options, false);
  let records = 0;
  let valid = 0;
  let recordsFailed = 0;
  let firstFailure: { reason: string; line: number; record: number } | undefined;
  const fail = (reason: string, line: number, record: number): void => {
    recordsFailed++;
    firstFailure ??= { reason, line, record };
  };
  for await (const group of jsonlRangeRecords(input, splitter))
    for (const { record, line, result } of group) {
      records++;
      if (!result.ok) {
        fail(result.reason, line, record);
        continue;
      }
      valid++;
      const failed = keys.observe(result.fields);
      if (failed !== undefined) fail(failed, line, record);
    }
  return {
    records,
    valid,
    lines: splitter.linesRead,
    keys: keys.keys,
    inference: keys.inference.map((c) => c.toJSON()),
    recordsFailed,
    ...(firstFailure && { firstFailure }),
    nextOffset: input.end <= input.start ? input.start : input.start + splitter.nextOffset,
  };
}

/** The whole file's schema from its ranges' first passes, and the source key of each column. */
export interface SettledJson {
  schema: TableSchema;
  /** Source key of each column of `schema`, in order (before the column mapping). */
  keys: string[];
}

/**
 * The ranges' first passes, in file order, settled as the single parse settles its one pass: the columns
 * are the union of the ranges' keys in first-seen order over the file, column limits and names are
 * checked in that order, then the error budget over all records (the first failure renumbered in the
 * file: records and, for JSON Lines, lines of the ranges before it added), then emptiness, then the
 * inferred types and nullability. Throws the single parse's errors.
 */
export function settleJsonRanges(
  format: 'jsonl' | 'json',
  ranges: readonly JsonlRangeInference[],
  options: ParseOptions,
  /** The file's size (an empty file is refused as such). */
  fileBytes: number,
): SettledJson {
  checkOptions(options);
  const plans: ColumnPlan[] = [];
  const merged: ColumnInference[] = [];
  const index = new Map<string, number>();
  for (const range of ranges)
    for (const [k, key] of range.keys.entries()) {
      let i = index.get(key);
      if (i === undefined) {
        i = plans.length;
        checkColumnCount(i + 1, options);
        index.set(key, i);
        const target = targetName(key, options);
        checkColumnName(target, i, options);
        const override = overrideFor(target, options);
        plans.push({ source: key, target, type: override ?? 'string', overridden: override !== undefined });
        merged.push(new ColumnInference());
      }
      (merged[i] as ColumnInference).merge(range.inference[k] as ColumnInferenceState);
    }

  const counters = new Counters();
  let lines = 0;
  let valid = 0;
  for (const range of ranges) {
    const first = range.firstFailure;
    if (first && counters.firstFailure === undefined) {
      const record = counters.recordsRead + first.record;
      counters.firstFailure =
        format === 'jsonl'
          ? { reason: first.reason, line: lines + first.line, record }
          : { reason: first.reason, record };
    }
    counters.recordsRead += range.records;
    counters.recordsFailed += range.recordsFailed;
    lines += range.lines;
    valid += range.valid;
  }
  checkErrorRate(counters, counters.recordsRead, options.maxErrorRate ?? 0);
  checkNotEmpty(format, fileBytes, plans.length, counters.recordsRead, options);
  const { schema } = settleSchema(plans, merged, valid, options);
  return { schema, keys: plans.map((p) => p.source) };
}

/**
 * The second pass over a range: its readable records converted to the settled schema, in batches; records
 * that do not convert are left out (the first pass counted them). Duplicates by key are not dropped here:
 * keys repeat across ranges, so that is the caller's to settle.
 */
export function readJsonlRange(
  input: JsonlRangeInput,
  settled: SettledJson,
  options: Pick<ParseOptions, 'batchSize' | 'batchBytes'> = {},
): RangeRead {
  const counters = new Counters();
  const splitter = new JsonLineSplitter({ end: input.end - input.start });
  const index = new Map(settled.keys.map((key, i) => [key, i]));
  const types = settled.schema.columns.map((c) => c.type);
  async function* batches(): AsyncIterable<ReadBatch> {
    const groups = jsonlRangeRecords(input, splitter, (n) => {
      counters.bytesRead += n;
    });
    async function* tallied(): AsyncIterable<JsonSourceRecord[]> {
      for await (const group of groups) {
        counters.recordsRead += group.length;
        yield group;
      }
    }
    yield* jsonBatches(tallied(), index, types, new RowSink(settled.schema, options, [], counters));
    counters.finishRange();
  }
  return {
    batches: batches(),
    metrics: () => counters.snapshot(),
    nextOffset: () =>
      counters.finished === undefined
        ? undefined
        : input.end <= input.start
          ? input.start
          : input.start + splitter.nextOffset,
  };
}
