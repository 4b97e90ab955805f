/** A JSON Lines file's or JSON array's parse: pass 1 infers per key, pass 2 converts. */
import type { CellValue, ColumnType, ReadBatch } from '../table.js';
import { counted, oneByOne, replayable } from './byte-sources.js';
import { type DetectedEncoding, decodeText, decodeUtf8, type TextEncoding } from './encoding.js';
import { ColumnInference, type Converted, convertJson, FAILED } from './infer.js';
import { readJsonArray } from './json.js';
import { type JsonSourceRecord, readJsonLineBytes } from './jsonl.js';
import { type ParsedFile, type ParseOptions, REPLAY_BYTES } from './parsed-file.js';
import {
  type ColumnPlan,
  ConvertedRanges,
  Counters,
  checkColumnCount,
  checkColumnName,
  checkErrorRate,
  checkNotEmpty,
  overrideFor,
  rangesOf,
  settleSchema,
  shown,
  targetName,
} from './plan.js';
import { RowSink } from './row-sink.js';

export async function parseJson(
  open: () => AsyncIterable<Uint8Array>,
  format: 'jsonl' | 'json',
  options: ParseOptions,
): Promise<ParsedFile> {
  const counters = new Counters();
  const maxErrorRate = options.maxErrorRate ?? 0;
  // JSON Lines are cut and decoded line by line from the bytes; a JSON array goes through the text reader.
  const read = (
    source: AsyncIterable<Uint8Array>,
    encoding?: TextEncoding,
  ): { records: AsyncIterable<JsonSourceRecord[]>; encoding: () => DetectedEncoding | undefined } => {
    if (format === 'jsonl') {
      const decoded = decodeUtf8(source, encoding);
      return { records: readJsonLineBytes(decoded.bytes), encoding: () => decoded.encoding };
    }
    const decoded = decodeText(source, encoding);
    return { records: oneByOne(readJsonArray(decoded.text)), encoding: () => decoded.encoding };
  };

  // Pass 1: the union of keys in first-seen order, inference, override check.
  const plans: ColumnPlan[] = [];
  const inference: ColumnInference[] = [];
  const index = new Map<string, number>();
  const convertedRanges = new ConvertedRanges();
  let valid = 0;
  const source = replayable(open, options.replayBytes ?? REPLAY_BYTES);
  const decoded = read(
    counted(source.first(), (n) => {
      counters.bytesRead += n;
    }),
    options.encoding,
  );
  for await (const group of decoded.records)
    for (const { record, line, result } of group) {
      counters.recordsRead++;
      const where = format === 'jsonl' ? { line, record } : { record };
      if (!result.ok) {
        counters.fail({ reason: result.reason, ...where });
        continue;
      }
      valid++;
      let failed: string | undefined;
      for (const [key, value] of result.fields) {
        let i = index.get(key);
        if (i === undefined) {
          i = plans.length;
          // Checked as keys appear: a file with a new key in every record must not grow the plans first.
          checkColumnCount(i + 1, options);
          index.set(key, i);
          const target = targetName(key, options);
          checkColumnName(target, i, options);
          const override = overrideFor(target, options);
          plans.push({ source: key, target, type: override ?? 'string', overridden: override !== undefined });
          inference.push(new ColumnInference());
        }
        inference[i]?.observeJson(value);
        const plan = plans[i] as ColumnPlan;
        if (plan.overridden && failed === undefined) {
          const converted = convertJson(value, plan.type);
          if (converted === FAILED)
            failed = `${shown(value)} in column "${plan.target}" is not a ${plan.type}`;
          else convertedRanges.widen(i, converted);
        }
      }
      if (failed !== undefined) counters.fail({ reason: failed, ...where });
    }

  // Records that failed to read make a ParseError before they make a file without columns.
  checkErrorRate(counters, counters.recordsRead, maxErrorRate);
  checkNotEmpty(format, counters.bytesRead, plans.length, counters.recordsRead, options);
  const encoding = decoded.encoding() as DetectedEncoding;
  const { schema, keyIndexes } = settleSchema(plans, inference, valid, options);

  // Pass 2: convert.
  const types = plans.map((p) => p.type);
  async function* batches(): AsyncIterable<ReadBatch> {
    const sink = new RowSink(schema, options, keyIndexes, counters);
    yield* jsonBatches(read(source.again(), encoding.name).records, index, types, sink);
    counters.finished = performance.now();
  }

  return {
    schema,
    batches: batches(),
    metrics: () => counters.snapshot(),
    encoding,
    renamedColumns: [],
    ranges: rangesOf(schema, plans, inference, convertedRanges),
  };
}

/**
 * Pass 2 of a JSON file or range: each readable record's values converted by `types`, placed by `index`
 * (source key → column), handed to the sink. A record that does not convert is skipped (pass 1 counted it).
 */
export async function* jsonBatches(
  groups: AsyncIterable<JsonSourceRecord[]>,
  index: ReadonlyMap<string, number>,
  types: readonly ColumnType[],
  sink: RowSink,
): AsyncIterable<ReadBatch> {
  const values: Converted[] = types.map(() => null);
  for await (const group of groups)
    for (const { result } of group) {
      if (!result.ok) continue; // counted in pass 1
      values.fill(null);
      let ok = true;
      for (const [key, value] of result.fields) {
        const i = index.get(key);
        // A key pass 1 did not see means open() returned other bytes; the schema cannot hold it.
        if (i === undefined) continue;
        const v = convertJson(value, types[i] as ColumnType);
        if (v === FAILED) ok = false;
        values[i] = v;
      }
      if (!ok) continue;
      const batch = sink.accept(values as CellValue[]);
      if (batch) yield batch;
    }
  const rest = sink.rest();
  if (rest) yield rest;
}
