import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readJsonArray } from '../../../shared/domain/parse/json.js';
import { parseJsonRecord } from '../../../shared/domain/parse/json-values.js';
import { type JsonSourceRecord, readJsonLines } from '../../../shared/domain/parse/jsonl.js';
import { parseFile } from '../../../shared/domain/parse/parse-file.js';
import { type CellValue, rowsOf } from '../../../shared/domain/table.js';
import { EmptyFileError, ParseError } from '../../../shared/errors.js';
import { fixture, opener, textOf } from './sources.js';

async function records(source: AsyncIterable<JsonSourceRecord>): Promise<JsonSourceRecord[]> {
  const out: JsonSourceRecord[] = [];
  for await (const r of source) out.push(r);
  return out;
}

async function parseJson(format: 'jsonl' | 'json', bytes: Uint8Array | string, chunkSize?: number) {
  const parsed = await parseFile({ format, open: opener(bytes, chunkSize) }, { maxErrorRate: 1 });
  const rows: Record<string, CellValue>[] = [];
  for await (const batch of parsed.batches) rows.push(...rowsOf(batch));
  return { parsed, rows };
}

describe('JSON Lines', () => {
  it('infers the union of keys (missing → null), nested values and big integers as text', async () => {
    // Act
    const { parsed, rows } = await parseJson('jsonl', fixture('events.jsonl'));

    // Assess
    expect(parsed.schema.columns.map((c) => `${c.name}:${c.type}${c.nullable ? '?' : ''}`)).toEqual([
      'event_id:int',
      'user:string?',
      'type:string',
      'at:timestamp',
      'value:float?',
      'meta:string?',
      'account:string?',
    ]);
    expect(rows[1]?.meta).toBe('{"page":"/home","tags":["a","b"]}');
    expect(rows[2]).toMatchObject({
      user: null,
      at: Date.UTC(2026, 3, 1, 6, 1),
      account: '12345678901234567890',
    });
    expect(rows[0]?.account).toBeNull();
  });

  it('counts blank lines in line numbers and accepts CRLF', async () => {
    // Act
    const out = await records(readJsonLines(textOf('{"a":1}\r\n\r\n  \n{"a":2}')));

    // Assess
    expect(out.map((r) => [r.record, r.line])).toEqual([
      [1, 1],
      [2, 4],
    ]);
  });

  it('fails a line that is not a JSON object, naming its line', async () => {
    // Act
    const lenient = await parseJson('jsonl', '{"a":1}\n[1,2]\n{"a":\n{"a":3}\n');
    const strict = parseFile({ format: 'jsonl', open: opener('{"a":1}\n{"a":2,}\n') });

    // Assess
    expect(lenient.rows).toEqual([{ a: 1 }, { a: 3 }]);
    expect(lenient.parsed.metrics()).toMatchObject({ recordsRead: 4, recordsFailed: 2, errorRate: 0.5 });
    await expect(strict).rejects.toThrow(ParseError);
    await expect(strict).rejects.toMatchObject({ line: 2, record: 2 });
  });

  it('keeps the digits of integers JSON.parse would round, also inside nested values', () => {
    // Act
    const result = parseJsonRecord(
      '{"id": 9007199254740993, "n": {"x": [12345678901234567890, 1.5]}, "s": "9"}',
    );

    // Assess
    expect(result).toEqual({
      ok: true,
      fields: [
        ['id', '9007199254740993'],
        ['n', '{"x":[12345678901234567890,1.5]}'],
        ['s', '9'],
      ],
    });
  });
});

describe('JSON array', () => {
  it('streams the elements of a top-level array of objects', async () => {
    // Act
    const { parsed, rows } = await parseJson('json', fixture('products.json'));

    // Assess
    expect(parsed.schema.columns.map((c) => `${c.name}:${c.type}${c.nullable ? '?' : ''}`)).toEqual([
      'sku:string',
      'name:string',
      'price:float',
      'in_stock:bool',
      'added:timestamp?',
      'dimensions:string?',
      'tags:string?',
    ]);
    expect(rows[1]).toMatchObject({ name: 'Chair, "ergonomic"', price: 189, dimensions: '{"w":60,"h":110}' });
    expect(rows[2]).toMatchObject({ name: 'Notebook [A5]', added: null, tags: '["paper","a5"]' });
  });

  it('splits any JSON array of objects into its elements, however the bytes are chunked', async () => {
    const value = fc.jsonValue({ maxDepth: 3 });
    const objects = fc.array(fc.dictionary(fc.string({ maxLength: 5 }), value, { maxKeys: 4 }), {
      maxLength: 8,
    });
    await fc.assert(
      fc.asyncProperty(
        objects,
        fc.integer({ min: 1, max: 16 }),
        fc.boolean(),
        async (items, size, pretty) => {
          const text = JSON.stringify(items, null, pretty ? 2 : undefined);
          const out = await records(readJsonArray(textOf(text, size)));
          // Nested values become their JSON text; integers JSON.parse would round keep their digits as text.
          const cell = (v: unknown) => {
            if (v !== null && typeof v === 'object') return JSON.stringify(v);
            if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) {
              return /e/.test(String(v)) ? v : String(v);
            }
            return Object.is(v, -0) ? 0 : v;
          };
          expect(out.map((r) => r.result)).toEqual(
            items.map((o) => ({ ok: true, fields: Object.entries(o).map(([k, v]) => [k, cell(v)]) })),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it.each([
    ['{"a":1}', /top level/],
    ['[{"a":1},]', /trailing comma/],
    ['[{"a":1} {"a":2}]', /expected "," or "]"/],
    ['[{"a":1}] x', /after the closing/],
    ['[{"a":1}, {"a":2}', /not closed/],
  ])('rejects the malformed document %s', async (text, reason) => {
    await expect(records(readJsonArray(textOf(text)))).rejects.toThrow(reason);
  });

  it('rejects a document of nothing but whitespace as an empty file', async () => {
    await expect(records(readJsonArray(textOf(' \n\t ')))).rejects.toMatchObject({
      name: 'EmptyFileError',
      message: expect.stringMatching(/empty document/),
    });
  });

  it('fails an element that is not an object, naming the record', async () => {
    // Act
    const act = parseFile({ format: 'json', open: opener('[{"a":1}, 2, {"a":3}]') });

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'ParseError', record: 2 });
  });

  it('rejects an empty array as an empty file: no records, no columns', async () => {
    // Act
    const act = parseJson('json', ' [ ] ');

    // Assess
    await expect(act).rejects.toThrow(EmptyFileError);
    await expect(act).rejects.toThrow(/no columns and no rows/);
  });
});
