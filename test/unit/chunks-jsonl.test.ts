import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonlLineStart } from '../../shared/domain/chunks/jsonl-boundaries.js';
import { readJsonLines } from '../../shared/domain/parse/jsonl.js';

const encoder = new TextEncoder();

async function* once(text: string): AsyncIterable<string> {
  if (text !== '') yield text;
}
const decoder = new TextDecoder();

async function recordsOf(text: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const r of readJsonLines(once(text))) out.push(r.result);
  return out;
}

/** Random JSON Lines: objects (strings may hold escaped line breaks), blank lines, LF or CR LF endings. */
const jsonlFiles = fc
  .record({
    lines: fc.array(
      fc.oneof(
        {
          weight: 4,
          arbitrary: fc
            .dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }))
            .map((o) => JSON.stringify(o)),
        },
        { weight: 1, arbitrary: fc.constantFrom('', '   ', '\r') },
      ),
      { maxLength: 20 },
    ),
    crlf: fc.boolean(),
    trailing: fc.boolean(),
  })
  .map(({ lines, crlf, trailing }) => {
    const eol = crlf ? '\r\n' : '\n';
    return lines.join(eol) + (trailing && lines.length > 0 ? eol : '');
  });

describe('JSON Lines chunk boundaries', () => {
  it('splits a file at any raw cut points into ranges whose lines are the whole file lines exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        jsonlFiles,
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.nat(),
        async (text, picks, windowPick) => {
          // Prepare
          const bytes = encoder.encode(text);
          const size = bytes.length;
          const cuts = [...new Set([0, ...picks.map((p) => p % (size + 1)), size])].sort((a, b) => a - b);

          // Act: each range finds its start from a window that begins at the byte before its raw start
          const starts = cuts.map((cut) => {
            const base = Math.max(0, cut - 1);
            for (let window = 1 + (windowPick % 8); ; window *= 2) {
              const found = jsonlLineStart(bytes.subarray(base, base + window), { base, start: cut, size });
              if (found !== undefined) return found;
            }
          });
          const pieces = starts.slice(0, -1).map((s, i) => decoder.decode(bytes.subarray(s, starts[i + 1])));

          // Assess: every piece is whole lines, and reading them one by one gives the file's records
          expect(pieces.join('')).toBe(text);
          for (const start of starts) {
            expect(start === 0 || start === size || bytes[start - 1] === 10).toBe(true);
          }
          const chunked: unknown[] = [];
          for (const piece of pieces) chunked.push(...(await recordsOf(piece)));
          expect(chunked).toEqual(await recordsOf(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps a CR LF pair cut in two with the line it ends, and a lone CR as text', () => {
    // Prepare
    const bytes = encoder.encode('{"a":1}\r\n{"a":2}\r{"a":3}\n');
    const size = bytes.length;

    // Act + Assess
    expect(jsonlLineStart(bytes, { base: 0, start: 8, size })).toBe(9); // between CR and LF
    expect(jsonlLineStart(bytes, { base: 0, start: 9, size })).toBe(9); // right after the LF
    expect(jsonlLineStart(bytes, { base: 0, start: 17, size })).toBe(size); // the CR is not a line end
  });

  it('leaves a range inside one long line without a start, and asks for more bytes when the window is short', () => {
    // Prepare
    const text = `{"long":"${'x'.repeat(100)}"}\n{"b":2}\n`;
    const bytes = encoder.encode(text);
    const size = bytes.length;

    // Act + Assess
    expect(jsonlLineStart(bytes.subarray(9, 40), { base: 9, start: 10, size })).toBeUndefined();
    expect(jsonlLineStart(bytes.subarray(9), { base: 9, start: 10, size })).toBe(text.indexOf('{"b"'));
    expect(() => jsonlLineStart(bytes.subarray(10), { base: 10, start: 10, size })).toThrow(/byte before/);
  });
});
