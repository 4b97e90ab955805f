import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fieldCounts,
  looksLikeHeader,
  sniffDialect,
  uniqueColumnNames,
} from '../../../shared/domain/parse/csv.js';
import { parseFile } from '../../../shared/domain/parse/parse-file.js';
import { type CellValue, rowsOf } from '../../../shared/domain/table.js';
import { ParseError } from '../../../shared/errors.js';
import { fixture, opener } from './sources.js';

async function parseCsv(bytes: Uint8Array | string, chunkSize?: number, csv?: { header?: boolean }) {
  const parsed = await parseFile({ format: 'csv', open: opener(bytes, chunkSize) }, csv ? { csv } : {});
  const rows: Record<string, CellValue>[] = [];
  for await (const batch of parsed.batches) rows.push(...rowsOf(batch));
  return { parsed, rows };
}

describe('CSV', () => {
  it('sniffs a semicolon file with quoted delimiters, quotes and newlines, and a BOM and CRLF', async () => {
    // Prepare
    const bytes = fixture('orders-semicolon.csv');

    // Act
    const { parsed, rows } = await parseCsv(bytes);

    // Assess
    expect(parsed.csv).toEqual({ delimiter: ';', quote: '"', header: true });
    expect(parsed.schema.columns.map((c) => `${c.name}:${c.type}${c.nullable ? '?' : ''}`)).toEqual([
      'order_id:int',
      'customer:string',
      'note:string?',
      'amount:float?',
      'ordered_at:timestamp',
      'paid:bool?',
    ]);
    expect(rows[0]).toEqual({
      order_id: 1001,
      customer: 'Müller; Anna',
      note: 'Deliver to the "back" door',
      amount: 19.9,
      ordered_at: Date.UTC(2026, 2, 1, 10, 15),
      paid: true,
    });
    expect(rows[1]?.note).toBe('two\r\nline note');
    expect(rows[1]?.ordered_at).toBe(Date.UTC(2026, 2, 1, 10, 0));
    expect(rows[3]).toMatchObject({ note: 'a;b;c', paid: null });
  });

  it('gives the same result however the bytes are chunked (inside quotes, inside UTF-8)', async () => {
    // Prepare
    const bytes = fixture('orders-semicolon.csv');
    const whole = await parseCsv(bytes);

    // Act
    const results = await Promise.all([1, 2, 3, 7].map((size) => parseCsv(bytes, size)));

    // Assess
    for (const r of results) {
      expect(r.parsed.schema).toEqual(whole.parsed.schema);
      expect(r.rows).toEqual(whole.rows);
    }
  });

  it('names the columns of a headerless file column_1..n', async () => {
    // Act
    const { parsed, rows } = await parseCsv(fixture('headerless.csv'));

    // Assess
    expect(parsed.csv?.header).toBe(false);
    expect(parsed.schema.columns.map((c) => `${c.name}:${c.type}`)).toEqual([
      'column_1:string',
      'column_2:string',
      'column_3:float',
      'column_4:timestamp',
    ]);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual({
      column_1: 'DE',
      column_2: 'pro',
      column_3: 49.9,
      column_4: Date.UTC(2026, 0, 4),
    });
  });

  it('rejects a ragged CSV naming the line', async () => {
    // Act
    const act = parseCsv(fixture('ragged.csv'));

    // Assess
    await expect(act).rejects.toThrow(ParseError);
    await expect(act).rejects.toMatchObject({ line: 3, reason: expect.stringMatching(/2 fields.*3/) });
  });

  it('rejects a quote left open at the end of the file', async () => {
    await expect(parseCsv('a,b\n1,"open\n2,3\n')).rejects.toThrow(/quote/i);
  });

  it('sniffs tabs and pipes, and single quotes when they are the quoting', () => {
    expect(sniffDialect('a\tb\tc\n1\t2\t3\n', true)).toEqual({ delimiter: '\t', quote: '"' });
    expect(sniffDialect('a|b\n1|"x|y"\n', true)).toEqual({ delimiter: '|', quote: '"' });
    expect(sniffDialect("a,b\n1,'x,y'\n2,'z'\n", true)).toEqual({ delimiter: ',', quote: "'" });
    expect(sniffDialect('just one column\nvalue\n', true)).toEqual({ delimiter: ',', quote: '"' });
  });

  it('sniffs from a cut sample without counting the cut record', () => {
    expect(fieldCounts('a;b\n1;2\n3;"x\n', ';', '"', false)).toEqual([2, 2]);
    expect(fieldCounts('a;b\n1;2\n3;4', ';', '"', true)).toEqual([2, 2, 2]);
  });

  it('detects a header: non-empty, non-numeric names that do not repeat as data', () => {
    expect(looksLikeHeader(['id', 'name'], [['1', 'ann']])).toBe(true);
    expect(looksLikeHeader(['name', 'city'], [['ann', 'Paris']])).toBe(true);
    expect(looksLikeHeader(['1', 'ann'], [['2', 'bob']])).toBe(false);
    expect(looksLikeHeader(['a', 'a'], [['1', '2']])).toBe(true); // repeated names are renamed, not data
    expect(
      looksLikeHeader(
        ['DE', 'pro'],
        [
          ['FR', 'basic'],
          ['DE', 'basic'],
        ],
      ),
    ).toBe(false);
    expect(looksLikeHeader(['x', ''], [['1', '2']])).toBe(false);
  });

  it('lets the config force the header decision', async () => {
    // Act
    const { parsed, rows } = await parseCsv('name,city\nann,Paris\n', undefined, { header: false });

    // Assess
    expect(parsed.schema.columns.map((c) => c.name)).toEqual(['column_1', 'column_2']);
    expect(rows[0]).toEqual({ column_1: 'name', column_2: 'city' });
  });

  it('reads a first row with repeated names as the header, renaming the repeats and recording it', async () => {
    // Act
    const { parsed, rows } = await parseCsv('id,id,value\n1,2,x\n3,4,y\n');

    // Assess
    expect(parsed.csv?.header).toBe(true);
    expect(parsed.schema.columns.map((c) => `${c.name}:${c.type}`)).toEqual([
      'id:int',
      'id_2:int',
      'value:string',
    ]);
    expect(parsed.renamedColumns).toEqual([{ from: 'id', to: 'id_2', index: 1 }]);
    expect(rows).toEqual([
      { id: 1, id_2: 2, value: 'x' },
      { id: 3, id_2: 4, value: 'y' },
    ]);
  });

  it('numbers every repeat and never takes a name the header has elsewhere', () => {
    // Act
    const { names, renamed } = uniqueColumnNames(['id', 'id', 'id_2', 'id', '', 'column_5']);

    // Assess
    expect(names).toEqual(['id', 'id_3', 'id_2', 'id_4', 'column_5_2', 'column_5']);
    expect(renamed).toEqual([
      { from: 'id', to: 'id_3', index: 1 },
      { from: 'id', to: 'id_4', index: 3 },
      { from: '', to: 'column_5_2', index: 4 },
    ]);
  });

  it('reports no renames for a header whose names are distinct', async () => {
    // Act
    const { parsed } = await parseCsv('a,b\n1,2\n');

    // Assess
    expect(parsed.renamedColumns).toEqual([]);
  });

  it('makes any header unique, changing only the repeats and blanks, and records each change', () => {
    // A small alphabet with suffix-like names forces collisions between repeats and generated names.
    const name = fc.constantFrom('', ' ', 'a', 'a_2', 'a_3', 'b', 'column_1', 'column_2', 'column_2_2');
    fc.assert(
      fc.property(fc.array(name, { maxLength: 12 }), (header) => {
        const { names, renamed } = uniqueColumnNames(header);
        expect(new Set(names).size).toBe(header.length);
        const changed = header.flatMap((from, index) =>
          names[index] === from ? [] : [{ from, to: names[index], index }],
        );
        expect(renamed).toEqual(changed);
        // The first occurrence of every non-blank name keeps it.
        header.forEach((from, index) => {
          if (from.trim() !== '' && header.indexOf(from) === index) expect(names[index]).toBe(from);
        });
        for (const n of names) expect(n.trim()).not.toBe('');
      }),
      { numRuns: 500 },
    );
  });

  it('skips blank lines and reads a file without a final newline', async () => {
    // Act
    const { rows } = await parseCsv('id,v\n1,a\n\n2,b');

    // Assess
    expect(rows).toEqual([
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
    ]);
  });
});
