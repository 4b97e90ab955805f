import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitJsonArray } from '../../../shared/domain/chunks/json-split.js';
import {
  inferJsonlRange,
  type JsonlRangeInference,
  type ParseOptions,
  parseFile,
  readJsonlRange,
  type SettledJson,
  settleJsonRanges,
} from '../../../shared/domain/parse/parse-file.js';
import { rowsOf } from '../../../shared/domain/table.js';
import { jsonlRanges, opener } from './sources.js';

const value = fc.constantFrom<unknown>(
  1,
  -2,
  3.5,
  0,
  null,
  true,
  false,
  'x',
  '',
  'NA',
  '12',
  '2026-01-31',
  '2026-01-31T10:00:00Z',
  'é ü',
  'a\nb',
  { nested: 1 },
  [1, 2],
);
const KEYS = ['id', 'amount', 'é', 'note', 'flag'];
const record = fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 5 });
/** A line: mostly an object, sometimes something that is not one (a failed record) or a blank line. */
const line = fc.oneof(
  { weight: 12, arbitrary: record.map((r) => JSON.stringify(r)) },
  { weight: 1, arbitrary: fc.constantFrom('not json', '[1, 2]', '"text"', '{"id": 1,}') },
  { weight: 1, arbitrary: fc.constantFrom('', '   ') },
);
const jsonlFile = fc
  .record({
    lines: fc.array(line, { minLength: 0, maxLength: 30 }),
    ending: fc.constantFrom('\n', '\r\n'),
    bom: fc.boolean(),
    trailing: fc.boolean(),
  })
  .map(({ lines, ending, bom, trailing }) => {
    const body = lines.join(ending);
    return `${bom ? '\uFEFF' : ''}${body}${trailing && lines.length > 0 ? ending : ''}`;
  });
/** Options a dataset may set: a mapping, an override that some values fail, an error budget. */
const parseOptions = fc.record(
  {
    columnMapping: fc.constant({ amount: 'value' }),
    typeOverrides: fc.constantFrom<Record<string, 'int' | 'float' | 'string'>>(
      { id: 'int' },
      { value: 'float' },
      { note: 'string' },
    ),
    maxErrorRate: fc.constantFrom(0, 0.2, 1),
    allowEmptyBatches: fc.boolean(),
  },
  { requiredKeys: ['maxErrorRate'] },
);

type Outcome =
  | { ok: true; schema: unknown; rows: unknown[]; read: number; failed: number }
  | { ok: false; name: string; message: string };

async function single(format: 'jsonl' | 'json', bytes: Uint8Array, options: ParseOptions): Promise<Outcome> {
  try {
    const parsed = await parseFile({ format, open: opener(bytes, 7) }, { ...options, batchSize: 4 });
    const rows: unknown[] = [];
    for await (const batch of parsed.batches) rows.push(...rowsOf(batch));
    const metrics = parsed.metrics();
    return {
      ok: true,
      schema: parsed.schema,
      rows,
      read: metrics.recordsRead,
      failed: metrics.recordsFailed,
    };
  } catch (error) {
    const { name, message } = error as Error;
    return { ok: false, name, message };
  }
}

/** Settles the ranges' first passes and reads each range with the result (the chunks' second pass). */
async function settleAndRead(
  format: 'jsonl' | 'json',
  ranges: { bytes: Uint8Array; start: number; end: number; inference: JsonlRangeInference }[],
  options: ParseOptions,
  fileBytes: number,
): Promise<Outcome> {
  let settled: SettledJson;
  try {
    // Each range's first pass crosses a process boundary as JSON.
    const inferences = ranges.map((r) => JSON.parse(JSON.stringify(r.inference)) as JsonlRangeInference);
    settled = settleJsonRanges(format, inferences, options, fileBytes);
  } catch (error) {
    const { name, message } = error as Error;
    return { ok: false, name, message };
  }
  const rows: unknown[] = [];
  let read = 0;
  let failed = 0;
  for (const range of ranges) {
    const input = { open: opener(range.bytes.subarray(range.start), 5), start: range.start, end: range.end };
    const pass = readJsonlRange(input, settled, { batchSize: 3 });
    for await (const batch of pass.batches) rows.push(...rowsOf(batch));
    expect(pass.nextOffset()).toBe(range.inference.nextOffset);
    read += pass.metrics().recordsRead;
    failed += pass.metrics().recordsFailed;
  }
  return { ok: true, schema: settled.schema, rows, read, failed };
}

describe('JSON Lines byte ranges', () => {
  it('inferred per range, settled and read in ranges give the single parse’s schema, rows, counts and errors', async () => {
    await fc.assert(
      fc.asyncProperty(
        jsonlFile,
        fc.array(fc.nat(), { maxLength: 8 }),
        parseOptions,
        async (text, cuts, options) => {
          // Prepare
          const bytes = new TextEncoder().encode(text);
          const dataStart = text.startsWith('\uFEFF') ? 3 : 0;
          const raw = [
            ...new Set([dataStart, ...cuts.map((c) => dataStart + (c % (bytes.length - dataStart + 1)))]),
          ].sort((a, b) => a - b);
          const expected = await single('jsonl', bytes, options);

          // Act: each range finds its own first line from its bytes, then its first pass.
          const ranges = await Promise.all(
            jsonlRanges(bytes, raw).map(async ({ start, end }) => {
              const inference = await inferJsonlRange(
                { open: opener(bytes.subarray(start), 6), start, end },
                options,
              );
              return { bytes, start, end, inference };
            }),
          );
          const actual = await settleAndRead('jsonl', ranges, options, bytes.length);

          // Assess
          expect(actual).toEqual(expected);
          // A range that owns lines reads on to the next range that owns any (or the file's end).
          const owning = ranges.filter((r) => r.start < r.end);
          for (const [k, range] of owning.entries()) {
            expect(range.inference.nextOffset).toBe(owning[k + 1]?.start ?? bytes.length);
          }
          // Lines and records partition the file's.
          const body = text.replace(/^\uFEFF/, '');
          const lines = body.length === 0 ? 0 : body.split('\n').length - (body.endsWith('\n') ? 1 : 0);
          expect(ranges.reduce((n, r) => n + r.inference.lines, 0)).toBe(lines);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('names the file’s line and record of the first failure, past the ranges before it', async () => {
    // Prepare
    const text = `{"id": 1}\n\n{"id": 2}\n{"id": 3}\n{"id": "x"}\n`;
    const bytes = new TextEncoder().encode(text);
    const cut = text.indexOf('{"id": 3}');
    const options = { typeOverrides: { id: 'int' as const } };

    // Act
    const first = await inferJsonlRange({ open: opener(bytes), start: 0, end: cut }, options);
    const second = await inferJsonlRange(
      { open: opener(bytes.subarray(cut)), start: cut, end: bytes.length },
      options,
    );
    const act = () => settleJsonRanges('jsonl', [first, second], options, bytes.length);

    // Assess
    expect(second.firstFailure).toEqual({ reason: '"x" in column "id" is not a int', line: 2, record: 2 });
    expect(act).toThrow('cannot parse file at line 5, record 4: 1 of 4 records failed');
  });
});

/** JSON arrays: elements of any kind (non-objects fail), whitespace and line breaks anywhere between tokens. */
const jsonArray = fc
  .record({
    elements: fc.array(
      fc.oneof(
        { weight: 10, arbitrary: record },
        { weight: 1, arbitrary: fc.constantFrom<unknown>(1, 'x', [1], null) },
      ),
      { maxLength: 30 },
    ),
    space: fc.constantFrom('', ' ', '\n', '\r\n  '),
    indent: fc.constantFrom(undefined, 2),
    bom: fc.boolean(),
  })
  .map(({ elements, space, indent, bom }) => {
    const items = elements.map((e) => JSON.stringify(e, null, indent));
    return `${bom ? '\uFEFF' : ''}[${space}${items.join(`,${space}`)}${space}]${space}`;
  });

describe('JSON arrays re-cut into JSON Lines pieces', () => {
  it('each piece inferred whole, settled and read gives the single parse’s schema, rows, counts and errors', async () => {
    await fc.assert(
      fc.asyncProperty(
        jsonArray,
        fc.integer({ min: 1, max: 200 }),
        parseOptions,
        async (text, targetBytes, options) => {
          // Prepare
          const bytes = new TextEncoder().encode(text);
          const expected = await single('json', bytes, options);

          // Act
          const ranges = [];
          for await (const piece of splitJsonArray(opener(bytes, 9)(), { targetBytes })) {
            const inference = await inferJsonlRange(
              { open: opener(piece.bytes, 4), start: 0, end: piece.bytes.length },
              options,
            );
            expect(inference.records).toBe(piece.records);
            ranges.push({ bytes: piece.bytes, start: 0, end: piece.bytes.length, inference });
          }
          const actual = await settleAndRead('json', ranges, options, bytes.length);

          // Assess
          expect(actual).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
