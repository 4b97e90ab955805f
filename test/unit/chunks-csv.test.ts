import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CsvByteDialect,
  type CsvChunkRead,
  csvChunkStarts,
  discoverRecordDelimiter,
  guessCsvRecordStart,
  type RecordDelimiter,
  summarizeCsvRange,
  verifyCsvChunks,
} from '../../shared/domain/chunks/csv-boundaries.js';

// ---- a reference reader: csv-parse with the options the parse stage uses ---------------------------------

interface Parsed {
  records: string[][];
  /** Byte offset where each record ends (after its record delimiter). */
  ends: number[];
}

function csvParse(
  bytes: Uint8Array,
  dialect: Omit<CsvByteDialect, 'recordDelimiter'>,
  rd?: RecordDelimiter,
): Parsed {
  const rows = parse(Buffer.from(bytes), {
    delimiter: dialect.delimiter,
    quote: dialect.quote,
    escape: dialect.quote,
    bom: false,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    info: true,
    ...(rd === undefined ? {} : { record_delimiter: rd }),
  }) as unknown as { record: string[]; info: { bytes: number } }[];
  return { records: rows.map((r) => r.record), ends: rows.map((r) => r.info.bytes) };
}

/** From a line start `at`, past the empty lines (csv-parse skips them): where the next record starts. */
function skipEmptyLines(bytes: Uint8Array, at: number, rd: RecordDelimiter): number {
  const codes = [...rd].map((c) => c.charCodeAt(0));
  let p = at;
  while (p < bytes.length && codes.every((c, i) => bytes[p + i] === c)) p += codes.length;
  return p;
}

/**
 * The range read's contract: from `start`, the records that start before `end`, and where the next record
 * starts. Throws where csv-parse does (a quote left open).
 */
function readRange(bytes: Uint8Array, start: number, end: number, dialect: CsvByteDialect) {
  const rest = csvParse(bytes.subarray(start), dialect, dialect.recordDelimiter);
  const records: string[][] = [];
  let at = skipEmptyLines(bytes, start, dialect.recordDelimiter);
  for (let i = 0; i < rest.records.length && at < end; i++) {
    records.push(rest.records[i] as string[]);
    at = skipEmptyLines(bytes, start + (rest.ends[i] as number), dialect.recordDelimiter);
  }
  return { records, nextOffset: Math.min(at, bytes.length) };
}

// ---- random CSV files ----------------------------------------------------------------------------------

interface CsvCase {
  text: string;
  dialect: CsvByteDialect;
  fields: number;
}

const dialects = fc.record({
  delimiter: fc.constantFrom(',', ';', '\t', '|'),
  quote: fc.constantFrom('"', "'"),
  recordDelimiter: fc.constantFrom<RecordDelimiter>('\n', '\r\n', '\r'),
});

function field(d: CsvByteDialect): fc.Arbitrary<string> {
  const q = d.quote;
  // Inside quotes anything goes: delimiters, line breaks of every kind, doubled quotes.
  const quoted = fc
    .array(fc.constantFrom('a', 'b', ' ', d.delimiter, '\n', '\r', '\r\n', q + q, 'é'), { maxLength: 8 })
    .map((parts) => `${q}${parts.join('')}${q}`);
  // Outside quotes: text, a quote that is not the field's first byte (literal), and the line breaks that
  // are not the record delimiter (csv-parse reads them as text).
  const loose = d.recordDelimiter === '\n' ? ['\r'] : d.recordDelimiter === '\r' ? ['\n'] : ['\n'];
  const unquoted = fc
    .tuple(
      fc.constantFrom('a', 'b', '1', ' ', 'é'),
      fc.array(fc.constantFrom('a', 'b', ' ', q, ...loose), { maxLength: 6 }),
    )
    .map(([head, tail]) => head + tail.join(''));
  return fc.oneof(quoted, unquoted, fc.constant(''));
}

const csvCases: fc.Arbitrary<CsvCase> = dialects.chain((dialect) =>
  fc.integer({ min: 1, max: 4 }).chain((fields) =>
    fc
      .record({
        rows: fc.array(fc.array(field(dialect), { minLength: fields, maxLength: fields }), { maxLength: 25 }),
        blanks: fc.array(fc.nat({ max: 2 }), { minLength: 26, maxLength: 26 }),
        trailing: fc.boolean(),
      })
      .map(({ rows, blanks, trailing }) => {
        const rd = dialect.recordDelimiter;
        const header = Array.from({ length: fields }, (_, i) => `c${i}`).join(dialect.delimiter);
        const lines = rows.map((row, i) => rd.repeat(blanks[i] ?? 0) + row.join(dialect.delimiter));
        const text = header + rd + lines.join(rd) + (trailing ? rd : '');
        return { text, dialect, fields };
      }),
  ),
);

/** Sorted cut points splitting [start, size) into ranges of at least one byte. */
function cutsOf(
  start: number,
  size: number,
  picks: number[],
): { index: number; start: number; end: number }[] {
  const inner = [...new Set(picks.map((p) => start + 1 + (p % Math.max(1, size - start))))]
    .filter((p) => p > start && p < size)
    .sort((a, b) => a - b);
  const points = [start, ...inner, size];
  return points.slice(0, -1).map((s, index) => ({ index, start: s, end: points[index + 1] as number }));
}

/** Reads every range, starting each at `startOf(range)`, then verifies and redoes until a fixed point. */
function readAllChunks(
  bytes: Uint8Array,
  ranges: { index: number; start: number; end: number }[],
  dialect: CsvByteDialect,
  startOf: (range: { index: number; start: number; end: number }) => number,
  withSummaries: boolean,
) {
  const size = bytes.length;
  const attempt = (range: { index: number; start: number; end: number }, start: number) => {
    try {
      const read = readRange(bytes, start, range.end, dialect);
      return {
        read: { index: range.index, assumedStart: start, nextOffset: read.nextOffset },
        records: read.records,
      };
    } catch {
      return { read: { index: range.index, assumedStart: start, nextOffset: undefined }, records: [] };
    }
  };
  const results = ranges.map((r) => attempt(r, r.index === 0 ? r.start : startOf(r)));
  const summaries = withSummaries
    ? ranges.map((r) => summarizeCsvRange(bytes, { base: 0, start: r.start, end: r.end, size }, dialect))
    : undefined;
  let rounds = 0;
  for (;;) {
    const reads: CsvChunkRead[] = results.map((r) => r.read);
    const verdict = verifyCsvChunks(ranges, reads, { size, ...(summaries ? { summaries } : {}) });
    if (verdict.done) {
      const records = verdict.chunks.flatMap((c, i) =>
        c.status === 'settled' ? (results[i]?.records ?? []) : [],
      );
      return { verdict, records, rounds };
    }
    expect(verdict.redo.length).toBeGreaterThan(0);
    for (const redo of verdict.redo)
      results[redo.index] = attempt(ranges[redo.index] as (typeof ranges)[number], redo.start);
    rounds++;
  }
}

const encoder = new TextEncoder();

describe('CSV chunk boundaries', () => {
  it('discovers the record delimiter as csv-parse does: the first line break outside quotes', () => {
    // Prepare
    const dialect = { delimiter: ',', quote: '"' };
    const bytes = (text: string) => encoder.encode(text);

    // Act + Assess
    expect(discoverRecordDelimiter(bytes('"a\nb",c\r\nd,e\r\n'), dialect, true)).toBe('\r\n');
    expect(discoverRecordDelimiter(bytes('a,b\rc,d\r'), dialect, true)).toBe('\r');
    expect(discoverRecordDelimiter(bytes('a,b"\rc\n'), dialect, true)).toBe('\r');
    expect(discoverRecordDelimiter(bytes('a,"b""\r\n"\nc,d'), dialect, true)).toBe('\n');
    expect(discoverRecordDelimiter(bytes('a,b\r'), dialect, false)).toBeUndefined();
    expect(discoverRecordDelimiter(bytes('"a\nb'), dialect, false)).toBeUndefined();
  });

  it('finds the record delimiter the random files are written with', () => {
    fc.assert(
      fc.property(csvCases, ({ text, dialect }) => {
        expect(discoverRecordDelimiter(encoder.encode(text), dialect, true)).toBe(dialect.recordDelimiter);
      }),
    );
  });

  it('the range reads, guessed, verified and redone to a fixed point, are the whole file records exactly once', () => {
    fc.assert(
      fc.property(
        csvCases,
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.boolean(),
        ({ text, dialect, fields }, picks, withSummaries) => {
          // Prepare
          const bytes = encoder.encode(text);
          const whole = csvParse(bytes, dialect);
          const dataStart = whole.ends[0] as number;
          const ranges = cutsOf(dataStart, bytes.length, picks);

          // Act
          const { verdict, records, rounds } = readAllChunks(
            bytes,
            ranges,
            dialect,
            (r) =>
              guessCsvRecordStart(bytes, { base: 0, start: r.start, size: bytes.length }, dialect, {
                fields,
              }) ?? 0,
            withSummaries,
          );

          // Assess
          expect(verdict.failed).toBeUndefined();
          expect(records).toEqual(whole.records.slice(1));
          if (withSummaries) expect(rounds).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reaches the same records from arbitrary wrong starts, redoing one chunk per round without summaries', () => {
    fc.assert(
      fc.property(
        csvCases,
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
        fc.boolean(),
        ({ text, dialect }, picks, offsets, withSummaries) => {
          // Prepare
          const bytes = encoder.encode(text);
          const whole = csvParse(bytes, dialect);
          const ranges = cutsOf(whole.ends[0] as number, bytes.length, picks);
          // Any byte after the range's start: mostly not a record start at all.
          const wrong = (r: { index: number; start: number }) =>
            Math.min(bytes.length, r.start + ((offsets[r.index % offsets.length] as number) % 7));

          // Act
          const { verdict, records, rounds } = readAllChunks(bytes, ranges, dialect, wrong, withSummaries);

          // Assess
          expect(verdict.failed).toBeUndefined();
          expect(records).toEqual(whole.records.slice(1));
          expect(rounds).toBeLessThanOrEqual(withSummaries ? 1 : ranges.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('composes the ranges summaries into every chunk true first record start', () => {
    fc.assert(
      fc.property(
        csvCases,
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.integer({ min: 1, max: 40 }),
        ({ text, dialect }, picks, checkpointBytes) => {
          // Prepare
          const bytes = encoder.encode(text);
          const whole = csvParse(bytes, dialect);
          const recordStarts = whole.ends
            .slice(0, -1)
            .map((end) => skipEmptyLines(bytes, end, dialect.recordDelimiter))
            .filter((p) => p < bytes.length);
          const ranges = cutsOf(whole.ends[0] as number, bytes.length, picks);

          // Act: each summary sees only its range and the byte after it
          const summaries = ranges.map((r) =>
            summarizeCsvRange(
              bytes.subarray(r.start, Math.min(bytes.length, r.end + 1)),
              { base: r.start, start: r.start, end: r.end, size: bytes.length },
              dialect,
              // Small checkpoints, so that lanes meet and share their runs as in big files.
              { checkpointBytes },
            ),
          );
          const starts = csvChunkStarts(JSON.parse(JSON.stringify(summaries)), bytes.length);

          // Assess
          const expected = ranges.map((r) => recordStarts.find((p) => p >= r.start) ?? bytes.length);
          expect(starts).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('guesses past a line break inside a quoted field by the header field count', () => {
    // Prepare: the range starts inside a quoted field whose text looks like records of the wrong width
    const dialect: CsvByteDialect = { delimiter: ',', quote: '"', recordDelimiter: '\n' };
    const text = 'id,note,n\n1,"first line\nsecond, line\nthird",7\n2,plain,8\n3,"x",9\n';
    const bytes = encoder.encode(text);
    const start = text.indexOf('first') + 2;

    // Act
    const guess = guessCsvRecordStart(bytes, { base: 0, start, size: bytes.length }, dialect, { fields: 3 });

    // Assess
    expect(guess).toBe(text.indexOf('2,plain'));
  });

  it('takes the record at a range start when the byte before it ends a line, and says when the window is too short', () => {
    // Prepare
    const dialect: CsvByteDialect = { delimiter: ',', quote: '"', recordDelimiter: '\r\n' };
    const text = 'a,b\r\n1,2\r\n3,4\r\n';
    const bytes = encoder.encode(text);
    const size = bytes.length;

    // Act + Assess
    expect(guessCsvRecordStart(bytes, { base: 0, start: 5, size }, dialect, { fields: 2 })).toBe(5);
    expect(guessCsvRecordStart(bytes, { base: 0, start: 6, size }, dialect, { fields: 2 })).toBe(10);
    expect(guessCsvRecordStart(bytes.subarray(0, 8), { base: 0, start: 6, size }, dialect)).toBeUndefined();
    expect(guessCsvRecordStart(bytes, { base: 0, start: 13, size }, dialect)).toBe(size);
  });

  it('names the first chunk that failed from its true start, and every chunk before it as settled', () => {
    // Prepare: three ranges; the second read from its true start and failed
    const ranges = [
      { index: 0, start: 10, end: 20 },
      { index: 1, start: 20, end: 30 },
      { index: 2, start: 30, end: 40 },
    ];
    const reads: CsvChunkRead[] = [
      { index: 0, assumedStart: 10, nextOffset: 22 },
      { index: 1, assumedStart: 22, nextOffset: undefined },
      { index: 2, assumedStart: 31, nextOffset: 40 },
    ];

    // Act
    const verdict = verifyCsvChunks(ranges, reads, { size: 40 });

    // Assess
    expect(verdict).toMatchObject({ done: true, failed: 1, redo: [] });
    expect(verdict.chunks.map((c) => c.status)).toEqual(['settled', 'failed', 'pending']);
  });

  it('redoes a failed read whose start was wrong instead of failing the file', () => {
    // Prepare
    const ranges = [
      { index: 0, start: 0, end: 10 },
      { index: 1, start: 10, end: 20 },
    ];
    const reads: CsvChunkRead[] = [
      { index: 0, assumedStart: 0, nextOffset: 12 },
      { index: 1, assumedStart: 11, nextOffset: undefined },
    ];

    // Act
    const verdict = verifyCsvChunks(ranges, reads, { size: 20 });

    // Assess
    expect(verdict).toMatchObject({ done: false, redo: [{ index: 1, start: 12 }] });
    expect(verdict.failed).toBeUndefined();
  });

  it('refuses reads that contradict the summaries instead of settling them', () => {
    // Prepare: one record per line; chunk 0 claims its records end where no record starts
    const dialect: CsvByteDialect = { delimiter: ',', quote: '"', recordDelimiter: '\n' };
    const bytes = encoder.encode('1,2\n3,4\n5,6\n');
    const ranges = [
      { index: 0, start: 0, end: 5 },
      { index: 1, start: 5, end: 12 },
    ];
    const summaries = ranges.map((r) => summarizeCsvRange(bytes, { base: 0, ...r, size: 12 }, dialect));

    // Act
    const act = () =>
      verifyCsvChunks(
        ranges,
        [
          { index: 0, assumedStart: 0, nextOffset: 10 },
          { index: 1, assumedStart: 8, nextOffset: 12 },
        ],
        { size: 12, summaries },
      );

    // Assess
    expect(act).toThrow(expect.objectContaining({ name: 'InternalError' }));
  });
});
