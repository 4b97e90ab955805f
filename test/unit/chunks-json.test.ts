import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type JsonPiece, JsonSplitError, splitJsonArray } from '../../shared/domain/chunks/json-split.js';
import { readJsonArray } from '../../shared/domain/parse/json.js';
import { parseJsonRecord } from '../../shared/domain/parse/json-values.js';
import { EmptyFileError, ParseError } from '../../shared/errors.js';

const encoder = new TextEncoder();

async function* once(text: string): AsyncIterable<string> {
  if (text !== '') yield text;
}
const decoder = new TextDecoder();

/** `bytes` cut at the given points, as a stream. */
async function* chunked(bytes: Uint8Array, picks: readonly number[]): AsyncIterable<Uint8Array> {
  const cuts = [...new Set(picks.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > at) yield bytes.subarray(at, cut);
    at = Math.max(at, cut);
  }
}

async function split(text: string, targetBytes: number, picks: readonly number[] = []): Promise<JsonPiece[]> {
  const pieces: JsonPiece[] = [];
  for await (const piece of splitJsonArray(chunked(encoder.encode(text), picks), { targetBytes }))
    pieces.push(piece);
  return pieces;
}

function linesOf(piece: JsonPiece): string[] {
  const text = decoder.decode(piece.bytes);
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

/** What the single path makes of the document: each element's parse, or the error. */
async function singlePath(text: string) {
  const results: unknown[] = [];
  try {
    for await (const r of readJsonArray(once(text))) results.push(r.result);
    return { results };
  } catch (error) {
    return { error: error as Error };
  }
}

describe('splitting a JSON array into JSON Lines pieces', () => {
  it('emits every element in order on a line of its own, in pieces within the target', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 30 }),
        fc.constantFrom(undefined, 1, 2, '\t'),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.integer({ min: 1, max: 300 }),
        async (values, indent, picks, targetBytes) => {
          // Prepare: JSON.stringify's indentation puts line breaks between and inside elements
          const text = JSON.stringify(values, null, indent);
          const elements = JSON.parse(text) as unknown[];

          // Act
          const pieces = await split(text, targetBytes, picks);

          // Assess
          const lines = pieces.flatMap(linesOf);
          expect(lines.map((l) => JSON.parse(l))).toEqual(elements);
          for (const [i, piece] of pieces.entries()) {
            expect(piece.index).toBe(i);
            expect(piece.records).toBe(linesOf(piece).length);
            if (piece.records > 1) expect(piece.bytes.length).toBeLessThanOrEqual(targetBytes);
            const next = pieces[i + 1];
            // A piece is closed only when the next element would not fit.
            if (next)
              expect(piece.bytes.length + (linesOf(next)[0] as string).length + 1).toBeGreaterThan(
                targetBytes,
              );
            expect(piece.firstRecord).toBe(1 + pieces.slice(0, i).reduce((n, p) => n + p.records, 0));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('agrees with the single path on every element and on every syntax error, whatever the chunking', async () => {
    const documents = fc.oneof(
      fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 8 }).map((v) => JSON.stringify(v, null, 1)),
      // Damaged documents: a byte dropped, doubled or replaced by a structural character.
      fc
        .tuple(
          fc.array(fc.dictionary(fc.string({ maxLength: 2 }), fc.jsonValue({ maxDepth: 1 })), {
            maxLength: 5,
          }),
          fc.nat(),
          fc.constantFrom('', ',', ']', '}', '[', '"', 'x', '\n', ' '),
        )
        .map(([v, at, c]) => {
          const t = JSON.stringify(v, null, 1);
          const i = at % (t.length + 1);
          return t.slice(0, i) + c + t.slice(i + 1);
        }),
      fc.constantFrom(
        '',
        '  \n',
        '{"a":1}',
        '[{"a":1},]',
        '[{"a":1} {"b":2}]',
        '[1,,2]',
        '[{"a":1}] x',
        '[{"a":1}',
      ),
    );
    await fc.assert(
      fc.asyncProperty(documents, fc.array(fc.nat(), { maxLength: 6 }), async (text, picks) => {
        // Prepare
        const expected = await singlePath(text);

        // Act
        let pieces: JsonPiece[] | undefined;
        let error: Error | undefined;
        try {
          pieces = await split(text, 64, picks);
        } catch (e) {
          error = e as Error;
        }

        // Assess
        if (expected.error) {
          expect(error?.name).toBe(expected.error.name);
          expect(error?.message).toBe(expected.error.message);
          if (error instanceof ParseError) expect(error).toBeInstanceOf(JsonSplitError);
        } else {
          expect(error).toBeUndefined();
          const results = (pieces ?? []).flatMap(linesOf).map((line) => parseJsonRecord(line));
          expect(results.map((r) => r.ok)).toEqual(expected.results.map((r) => (r as { ok: boolean }).ok));
          expect(results.filter((r) => r.ok)).toEqual(
            expected.results.filter((r) => (r as { ok: boolean }).ok),
          );
        }
      }),
      { numRuns: 500 },
    );
  });

  it('keeps an element with a raw line break inside a string invalid, and drops a byte-order mark', async () => {
    // Prepare
    const text = '\uFEFF[{"a":"x\ny"},\r\n {"b":\n 2}]';

    // Act
    const pieces = await split(text, 1_000, [1, 2]);

    // Assess
    const lines = pieces.flatMap(linesOf);
    expect(lines).toHaveLength(2);
    expect(parseJsonRecord(lines[0] as string).ok).toBe(false);
    expect(parseJsonRecord(lines[1] as string)).toEqual({ ok: true, fields: [['b', 2]] });
    // Lines are counted as json.ts counts them: every LF, the one inside the string too.
    expect(pieces[0]?.lines).toEqual([1, 3]);
  });

  it('says at which byte the array syntax breaks', async () => {
    // Act
    const act = split('[{"a":1},\n {"b":2} x]', 100);

    // Assess
    await expect(act).rejects.toBeInstanceOf(JsonSplitError);
    await expect(act).rejects.toMatchObject({ name: 'ParseError', line: 2, byteOffset: 19 });
  });

  it('refuses a document of only whitespace as empty, and gives no pieces for an empty array', async () => {
    await expect(split(' \n ', 10)).rejects.toBeInstanceOf(EmptyFileError);
    await expect(split(' [ ] ', 10)).resolves.toEqual([]);
  });
});
