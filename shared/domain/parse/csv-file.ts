/** A CSV file's parse: pass 1 sniffs, tokenizes and infers (keeping the bytes when they fit), pass 2 converts. */
import { type CellValue, type ColumnType, cellBytes, type ReadBatch } from '../table.js';
import { counted, peekText, replayable } from './byte-sources.js';
import {
  type ColumnRename,
  type CsvDialect,
  columnNames,
  looksLikeHeader,
  SNIFF_CHARS,
  sniffDialect,
} from './csv.js';
import {
  type CsvFields,
  CsvTokenizer,
  type CsvTokenizerOptions,
  fieldText,
  type LineEnding,
} from './csv-tokenizer.js';
import { type DetectedEncoding, decodeUtf8, isSingleByte, type SingleByteEncoding } from './encoding.js';
import { ColumnInference, type Converted, convertBytes, convertToken, FAILED, isNullBytes } from './infer.js';
import { MAX_RECORD_CHARS } from './jsonl.js';
import { KeptNumbers } from './kept-numbers.js';
import { type CsvLayout, type ParsedFile, type ParseOptions, REPLAY_BYTES } from './parsed-file.js';
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
import { StringDictionary } from './string-dictionary.js';

const HEADER_SAMPLE_RECORDS = 50;
/** String columns whose repeated values are numbered, and share one string each (see string-dictionary.ts). */
const MAX_NUMBERED_COLUMNS = 16;

export async function parseCsv(
  open: () => AsyncIterable<Uint8Array>,
  options: ParseOptions,
): Promise<ParsedFile> {
  const counters = new Counters();
  const maxErrorRate = options.maxErrorRate ?? 0;

  // Pass 1: encoding, dialect, header, inference, override check. A single-byte encoding is tokenized in
  // its own bytes (only kept text is decoded), so its offsets are the file's and ranges can read it.
  // Its tokenizer keeps the bytes and the records' field spans while the file fits `replayBytes` and the
  // spans MAX_KEPT_FIELDS: pass 2 then converts them without reading or tokenizing again (the second read
  // and tokenizing were ~6% of a parse). Past either, they are dropped, and pass 2 reads the source again;
  // nothing else holds the file meanwhile.
  const replayBytes = options.replayBytes ?? REPLAY_BYTES;
  const keeping = replayBytes > 0 && (options.inputBytes ?? 0) <= replayBytes;
  const source = replayable(open, keeping ? 0 : replayBytes);
  const decoded = decodeUtf8(
    counted(source.first(), (n) => {
      counters.bytesRead += n;
    }),
    options.encoding,
    { singleByte: 'raw' },
  );
  const singleByteOf = (): SingleByteEncoding | undefined => {
    const name = decoded.encoding?.name;
    return name !== undefined && isSingleByte(name) ? name : undefined;
  };
  const peeked = await peekText(decoded.bytes, SNIFF_CHARS, singleByteOf);
  const sniffed = sniffDialect(peeked.sample, peeked.complete);
  const dialect: CsvDialect = {
    delimiter: options.csv?.delimiter ?? sniffed.delimiter,
    quote: options.csv?.quote ?? sniffed.quote,
  };

  let header: boolean | undefined = options.csv?.header;
  let plans: ColumnPlan[] = [];
  let inference: ColumnInference[] = [];
  let overrides: (ColumnType | undefined)[] = [];
  let renamedColumns: ColumnRename[] = [];
  const buffered: string[][] = [];
  const converted = new ConvertedRanges();
  // With the records kept, their numbers too (from the records read as bytes, past the header's sample).
  let numbers = keeping && options.inputBytes !== undefined ? new KeptNumbers(options.inputBytes) : undefined;
  let recordNumbers = new Float64Array(0);
  /** Where the first two records start in the decoded bytes. */
  const offsets: number[] = [];

  const failure = (shownValue: string, i: number, type: ColumnType): string =>
    `${shownValue} in column "${plans[i]?.target}" is not a ${type}`;
  const observe = (fields: string[]): void => {
    counters.recordsRead++;
    let failed: string | undefined;
    for (let i = 0; i < fields.length; i++) {
      const token = fields[i] as string;
      inference[i]?.observeToken(token);
      const type = overrides[i];
      if (type !== undefined && failed === undefined) {
        const value = convertToken(token, type);
        if (value === FAILED) failed = failure(shown(token), i, type);
        else converted.widen(i, value);
      }
    }
    if (failed !== undefined) counters.fail({ reason: failed, record: counters.recordsRead });
  };
  const start = (first: string[], rest: string[][]): string[][] => {
    header ??= looksLikeHeader(first, rest);
    const { names, renamed } = columnNames(header ? first : undefined, first.length);
    renamedColumns = renamed;
    plans = names.map((source, i) => {
      const target = targetName(source, options);
      checkColumnName(target, i, options);
      const override = overrideFor(target, options);
      return { source, target, type: override ?? 'string', overridden: override !== undefined };
    });
    inference = plans.map(() => new ColumnInference());
    overrides = plans.map((p) => (p.overridden ? p.type : undefined));
    return header ? rest : [first, ...rest];
  };

  // The first records are held back until the header is decided (it needs a look at the rows below).
  let started = false;
  const flush = (): void => {
    const [first, ...rest] = buffered;
    if (first) for (const r of start(first, rest)) observe(r);
    buffered.length = 0;
    started = true;
  };
  const observeRecord = (r: CsvFields): void => {
    if (!started) {
      // Every record has the first one's width (or is a ParseError), so one look suffices, and it comes
      // before the rows of a misread file are held.
      if (buffered.length === 0) checkColumnCount(r.fieldCount, options);
      buffered.push(Array.from({ length: r.fieldCount }, (_, i) => r.text(i)));
      if (offsets.length < 2) offsets.push(r.recordOffset);
      if (buffered.length > HEADER_SAMPLE_RECORDS) flush();
      return;
    }
    counters.recordsRead++;
    const { bytes, starts, ends, fieldCount, firstField } = r;
    if (recordNumbers.length !== fieldCount) recordNumbers = new Float64Array(fieldCount);
    let failed: string | undefined;
    for (let i = 0; i < fieldCount; i++) {
      const s = starts[firstField + i] as number;
      const e = ends[firstField + i] as number;
      recordNumbers[i] = (inference[i] as ColumnInference).observeBytes(bytes, s, e);
      const type = overrides[i];
      if (type !== undefined && failed === undefined) {
        const value = convertBytes(bytes, s, e, type);
        if (value === FAILED) failed = failure(shown(r.text(i)), i, type);
        else converted.widen(i, value);
      }
    }
    if (failed !== undefined) counters.fail({ reason: failed, record: counters.recordsRead });
    if (numbers !== undefined) {
      // Kept only while the records are (checked now and then: the tokenizer may give them up).
      if ((counters.recordsRead & 0xffff) === 0 && tokenizer.retained === undefined) numbers = undefined;
      else numbers.keep(counters.recordsRead - 1, r.recordOffset, recordNumbers, inference);
    }
  };
  const singleByte = singleByteOf();
  const tokenizer = new CsvTokenizer(
    {
      ...dialect,
      maxRecordChars: MAX_RECORD_CHARS,
      ...(singleByte && { singleByte }),
      ...(keeping && {
        retain: {
          maxBytes: replayBytes,
          maxFields: MAX_KEPT_FIELDS,
          ...(options.inputBytes !== undefined && { expectedBytes: options.inputBytes }),
        },
      }),
    },
    observeRecord,
  );
  for await (const chunk of peeked.stream) tokenizer.push(chunk);
  tokenizer.finish();
  const retained = tokenizer.retained;
  const keptRecords: KeptFile | undefined = retained && {
    ...retained,
    width: tokenizer.fieldWidth ?? 0,
  };
  if (!started) flush();
  header ??= false;
  const encoding = decoded.encoding as DetectedEncoding;
  const lineEnding: LineEnding | undefined = tokenizer.lineEnding;
  const firstData = header ? offsets[1] : offsets[0];
  const csvLayout: CsvLayout = {
    ...dialect,
    header,
    ...(lineEnding && { lineEnding }),
    width: plans.length,
    ...((encoding.name === 'utf-8' || singleByte) && {
      dataStart: (encoding.bom ? 3 : 0) + (firstData ?? tokenizer.nextOffset),
    }),
    ...(singleByte && { singleByte }),
  };

  const records = counters.recordsRead;
  checkNotEmpty('csv', counters.bytesRead, plans.length, records, options);
  const { schema, keyIndexes } = settleSchema(plans, inference, records, options);
  checkErrorRate(counters, records, maxErrorRate);

  // Pass 2: convert, from the bytes; only string columns make strings.
  const types = plans.map((p) => p.type);
  async function* batches(): AsyncIterable<ReadBatch> {
    if (keptRecords) {
      const kept = numbers?.settled(
        types,
        plans.map((p) => p.overridden),
      );
      yield* keptBatches(keptRecords, types, new RowSink(schema, options, keyIndexes, counters), {
        skipFirst: header === true,
        ...(singleByte && { singleByte }),
        ...(kept && { numbers: kept }),
      });
      counters.finished = performance.now();
      return;
    }
    // The encoding and line ending pass 1 settled on, so both passes read the same records.
    yield* csvBatches(
      decodeUtf8(source.again(), encoding.name, { singleByte: 'raw' }).bytes,
      {
        ...dialect,
        maxRecordChars: MAX_RECORD_CHARS,
        ...(lineEnding && { lineEnding }),
        ...(singleByte && { singleByte }),
      },
      types,
      new RowSink(schema, options, keyIndexes, counters),
      header === true,
    );
    counters.finished = performance.now();
  }

  return {
    schema,
    batches: batches(),
    metrics: () => counters.snapshot(),
    csv: { ...dialect, header },
    csvLayout,
    encoding,
    renamedColumns,
    ranges: rangesOf(schema, plans, inference, converted),
  };
}

/**
 * Pass 2 of a CSV file or range: each record converted by `types` from its bytes (only string columns
 * make strings, repeated short values shared), handed to the sink, and the finished batches yielded after
 * each input chunk. A record that does not convert is skipped (pass 1 counted it).
 */
export async function* csvBatches(
  source: AsyncIterable<Uint8Array>,
  tokenizerOptions: CsvTokenizerOptions,
  types: readonly ColumnType[],
  sink: RowSink,
  skipFirst: boolean,
  onTokenizer?: (tokenizer: CsvTokenizer) => void,
): AsyncIterable<ReadBatch> {
  let skip = skipFirst;
  const done: ReadBatch[] = [];
  const convert = recordConverter(types, sink, done, tokenizerOptions.singleByte);
  const reader = new CsvTokenizer(tokenizerOptions, (r) => {
    if (skip) {
      skip = false;
      return;
    }
    convert(r.bytes as Buffer, r.starts, r.ends, r.firstField);
  });
  onTokenizer?.(reader);
  for await (const chunk of source) {
    const more = reader.push(chunk);
    for (const batch of done) yield batch;
    done.length = 0;
    if (!more) break;
  }
  reader.finish();
  for (const batch of done) yield batch;
  const rest = sink.rest();
  if (rest) yield rest;
}

/**
 * Pass 2 over the records pass 1 kept: the same conversion, from the kept bytes and spans, and the numbers
 * pass 1 read of the columns `numbers` has (by data record; `first` the record of index 0).
 */
async function* keptBatches(
  kept: KeptFile,
  types: readonly ColumnType[],
  sink: RowSink,
  options: {
    skipFirst: boolean;
    singleByte?: SingleByteEncoding;
    numbers?: { columns: (Float64Array | undefined)[]; first: number };
  },
): AsyncIterable<ReadBatch> {
  const done: ReadBatch[] = [];
  const convert = recordConverter(types, sink, done, options.singleByte, options.numbers);
  const { bytes, starts, ends, width, fields } = kept;
  const from = options.skipFirst ? width : 0;
  for (let at = from, record = 0; at < fields; at += width, record++) {
    convert(bytes, starts, ends, at, record);
    if (done.length > 0) {
      yield* done;
      done.length = 0;
    }
  }
  const rest = sink.rest();
  if (rest) yield rest;
}

/**
 * Converts a record whose field i is bytes[starts[at + i], ends[at + i]) by `types` (only string columns
 * make strings, repeated short values numbered and shared) and hands it to the sink, pushing the batches it
 * fills onto `done`. A record that does not convert is skipped (pass 1 counted it).
 */
function recordConverter(
  types: readonly ColumnType[],
  sink: RowSink,
  done: ReadBatch[],
  singleByte: SingleByteEncoding | undefined,
  numbers?: { columns: (Float64Array | undefined)[]; first: number },
): (bytes: Buffer, starts: Int32Array, ends: Int32Array, at: number, record?: number) => void {
  const kept = numbers?.columns ?? [];
  const first = numbers?.first ?? 0;
  // Bounded: each dictionary holds up to ~3.5 MiB, so only the first string columns get one.
  let numbered = 0;
  const dictionaries = types.map((t) =>
    t === 'string' && numbered++ < MAX_NUMBERED_COLUMNS ? new StringDictionary() : undefined,
  );
  if (numbered > 0) sink.numbered(dictionaries.map((d) => d?.strings));
  return (bytes, starts, ends, at, record = -1) => {
    const columns = sink.columns();
    const k = record - first;
    const codes = sink.codes();
    const row = sink.row();
    let size = 0;
    for (let i = 0; i < types.length; i++) {
      const s = starts[at + i] as number;
      const e = ends[at + i] as number;
      const type = types[i] as ColumnType;
      let v: Converted;
      if (type === 'string') {
        const dictionary = dictionaries[i];
        let code = -1;
        if (isNullBytes(bytes, s, e)) {
          v = null;
        } else if (dictionary === undefined) {
          v = fieldText(bytes, s, e, singleByte);
        } else {
          code = dictionary.find(bytes, s, e);
          if (code >= 0) v = dictionary.strings[code] as string;
          else {
            v = fieldText(bytes, s, e, singleByte);
            code = dictionary.add(v);
          }
        }
        const columnCodes = codes[i];
        if (columnCodes !== undefined) columnCodes[row] = code;
      } else {
        const column = kept[i];
        const number =
          column !== undefined && k >= 0 && k < column.length ? (column[k] as number) : Number.NaN;
        // NaN: a null, or a value pass 1 did not keep.
        v = Number.isNaN(number) ? convertBytes(bytes, s, e, type) : number;
      }
      // A record that does not convert is skipped; its cells placed so far are overwritten by the next.
      if (v === FAILED) return;
      (columns[i] as CellValue[])[row] = v;
      size += cellBytes(v);
    }
    const batch = sink.placed(size);
    if (batch) done.push(batch);
  };
}

/** Field spans a CSV file's first pass keeps for its second: 8 bytes a field, so at most 128 MiB. */
const MAX_KEPT_FIELDS = 16 * 1024 * 1024;

/** What pass 1 kept of a file: its bytes (as tokenized) and every record's field spans, record by record. */
interface KeptFile {
  bytes: Buffer;
  starts: Int32Array;
  ends: Int32Array;
  /** Spans kept: records × width. */
  fields: number;
  width: number;
}
