/** Byte sources for the parse and Parquet tests: in-memory, chunked at chosen sizes, counting reads. */
import { readFileSync } from 'node:fs';
import { jsonlLineStart } from '../../../shared/domain/chunks/jsonl-boundaries.js';
import { decodeText } from '../../../shared/domain/parse/encoding.js';
import type { ByteRangeSource } from '../../../shared/formats/parquet.js';

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../../../events/data/${name}`, import.meta.url)));
}

/** An `open()` that yields `bytes` in chunks of `size` (small sizes split quotes, escapes, UTF-8). */
export function opener(bytes: Uint8Array | string, size = 64 * 1024): () => AsyncIterable<Uint8Array> {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  return async function* () {
    for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
  };
}

/** The text of `bytes` chunked at `size` bytes, as the parser decodes it (for the readers of text). */
export function textOf(bytes: Uint8Array | string, size?: number): AsyncIterable<string> {
  return decodeText(opener(bytes, size)()).text;
}

export function rangeSource(bytes: Uint8Array): ByteRangeSource & { reads: [number, number][] } {
  const reads: [number, number][] = [];
  return {
    size: bytes.length,
    reads,
    async read(start, end) {
      reads.push([start, end]);
      return bytes.slice(start, end);
    },
  };
}

export async function collect(sink: (write: (chunk: Uint8Array) => Promise<void>) => Promise<unknown>) {
  const chunks: Uint8Array[] = [];
  const result = await sink(async (chunk) => {
    chunks.push(chunk);
  });
  return { result, bytes: new Uint8Array(Buffer.concat(chunks)), chunks };
}

export async function* asBatches<T>(items: readonly T[]): AsyncIterable<T> {
  yield* items;
}

/**
 * JSON Lines byte ranges cut at `cuts` (sorted, distinct, the first the data's start), each starting at
 * its first line as a chunk finds it from its own bytes (a range that owns no line starts at its end).
 */
export function jsonlRanges(bytes: Uint8Array, cuts: readonly number[]): { start: number; end: number }[] {
  return cuts.map((cut, i) => {
    const end = cuts[i + 1] ?? bytes.length;
    const base = Math.max(0, cut - 1);
    const start =
      i === 0
        ? cut
        : (jsonlLineStart(bytes.subarray(base, end), { base, start: cut, size: bytes.length }) ?? end);
    return { start, end };
  });
}
