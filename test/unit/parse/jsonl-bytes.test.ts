import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  JsonLineSplitter,
  type JsonSourceRecord,
  readJsonLineBytes,
  readJsonLines,
} from '../../../shared/domain/parse/jsonl.js';
import { textOf } from './sources.js';

async function* chunked(bytes: Uint8Array, cuts: number[]): AsyncIterable<Uint8Array> {
  let at = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    yield bytes.subarray(at, cut);
    at = cut;
  }
  yield bytes.subarray(at);
}

const line = fc.oneof(
  fc.constantFrom(
    '{"a":1}',
    '{"a":"x\\ny","b":null}',
    '  ',
    '',
    '[1]',
    'nope',
    '{"é":"😀"}',
    '{"n":12345678901234567890}',
  ),
  fc.json(),
);
const jsonl = fc
  .tuple(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), fc.boolean())
  .map(([lines, ending, last]) => lines.join(ending) + (last ? ending : ''));

describe('JSON Lines from bytes', () => {
  it('reads the same records, lines and results as the text reader, however the bytes are cut', async () => {
    await fc.assert(
      fc.asyncProperty(jsonl, fc.array(fc.nat(), { maxLength: 6 }), async (text, cuts) => {
        // Prepare
        const bytes = new TextEncoder().encode(text);
        const expected: JsonSourceRecord[] = [];
        for await (const r of readJsonLines(textOf(bytes))) expected.push(r);

        // Act
        const actual: JsonSourceRecord[] = [];
        for await (const group of readJsonLineBytes(chunked(bytes, cuts))) actual.push(...group);

        // Assess
        expect(actual).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('splits a file at any byte ranges into its records, each read once', async () => {
    await fc.assert(
      fc.asyncProperty(jsonl, fc.array(fc.nat(), { maxLength: 5 }), async (text, cutsAt) => {
        // Prepare
        const bytes = new TextEncoder().encode(text);
        const whole: unknown[] = [];
        for await (const group of readJsonLineBytes(chunked(bytes, [])))
          whole.push(...group.map((r) => r.result));
        const ends = [...new Set(cutsAt.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);

        // Act
        const parts: unknown[] = [];
        let start = 0;
        for (const end of [...ends, bytes.length]) {
          if (end < start) continue;
          const splitter = new JsonLineSplitter({ end: end - start });
          for (const chunk of [bytes.subarray(start)])
            parts.push(...splitter.push(chunk).map((r) => r.result));
          if (!splitter.done) parts.push(...splitter.finish().map((r) => r.result));
          start += splitter.nextOffset;
          if (start >= bytes.length) break;
        }

        // Assess
        expect(parts).toEqual(whole);
      }),
      { numRuns: 1000 },
    );
  });
});
