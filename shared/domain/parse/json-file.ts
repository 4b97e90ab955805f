/** A JSON Lines file's or JSON array's parse: pass 1 infers per key, pass 2 converts. */
import type { CellValue, ColumnType, ReadBatch } from '../table.js';
import { counted, oneByOne, replayable } from './byte-sources.js';
import { type DetectedEncoding, decodeText, decodeUtf8, type TextEncoding } from './encoding.js';
import { ColumnInference, type Converted, convertJson, FAILED, type JsonCell } from './infer.js';
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
  const keys = new JsonKeys(options, true);
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
      const failed = keys.observe(result.fields, (i, value) => convertedRanges.widen(i, value));
      if (failed !== undefined) counters.fail({ reason: failed, ...where });
    }
  const { index, inference } = keys;
  const plans: ColumnPlan[] = keys.keys.map((source, i) => {
    const override = keys.overrides[i];
    return {
      source,
      target: keys.targets[i] as string,
      type: override ?? 'string',
      overridden: override !== undefined,
    };
  });

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
 * A JSON first pass's columns: the keys in first-seen order, each one's target name, type override and
 * inference. `checkNames`: each target name is checked as its key appears (a range's are checked when the
 * ranges settle, in the whole file's order).
 */
export class JsonKeys {
  readonly keys: string[] = [];
  readonly targets: string[] = [];
  readonly overrides: (ColumnType | undefined)[] = [];
  readonly inference: ColumnInference[] = [];
  /** Source key → column. */
  readonly index = new Map<string, number>();

  constructor(
    private readonly options: Pick<
      ParseOptions,
      'columnMapping' | 'typeOverrides' | 'maxColumns' | 'maxColumnNameLength'
    >,
    private readonly checkNames: boolean,
  ) {}

  /**
   * Observes a readable record's fields; answers why it fails (the first value an override cannot take),
   * or undefined. `converted` sees every value an override converted.
   */
  observe(
    fields: readonly (readonly [string, JsonCell])[],
    converted?: (column: number, value: Converted) => void,
  ): string | undefined {
    let failed: string | undefined;
    for (const [key, value] of fields) {
      let i = this.index.get(key);
      if (i === undefined) {
        i = this.keys.length;
        // Checked as keys appear: a file with a new key in every record must not grow the columns first.
        checkColumnCount(i + 1, this.options);
        this.index.set(key, i);
        this.keys.push(key);
        const target = targetName(key, this.options);
        if (this.checkNames) checkColumnName(target, i, this.options);
        this.targets.push(target);
        this.overrides.push(overrideFor(target, this.options));
        this.inference.push(new ColumnInference());
      }
      (this.inference[i] as ColumnInference).observeJson(value);
      const type = this.overrides[i];
      if (type !== undefined && failed === undefined) {
        const typed = convertJson(value, type);
        if (typed === FAILED) failed = `${shown(value)} in column "${this.targets[i]}" is not a ${type}`;
        else converted?.(i, typed);
      }
    }
    return failed;
  }
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
