/** A parse's byte sources: a peek at the start of the text, read twice or held, counted. */
import { type SingleByteEncoding, singleByteText } from './encoding.js';

/**
 * Reads chunks until their text holds `minChars` characters (or the source ends): the sniffing sample,
 * the same text decodeText's first pieces made. The chunks are UTF-8, or in the single-byte encoding
 * `singleByte()` answers once the first chunk is out (decodeUtf8's `singleByte: 'raw'`). Then yields the
 * buffered chunks and the rest of the source.
 */
export async function peekText(
  source: AsyncIterable<Uint8Array>,
  minChars: number,
  singleByte: () => SingleByteEncoding | undefined = () => undefined,
): Promise<{ sample: string; complete: boolean; stream: AsyncIterable<Uint8Array> }> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  const decoder = new TextDecoder();
  let sample = '';
  let complete = false;
  while (sample.length < minChars) {
    const next = await iterator.next();
    if (next.done) {
      complete = true;
      break;
    }
    head.push(next.value);
    const encoding = singleByte();
    const chunk = next.value;
    sample += encoding
      ? singleByteText(
          encoding,
          Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
          0,
          chunk.length,
        )
      : decoder.decode(chunk, { stream: true });
  }
  async function* stream(): AsyncIterable<Uint8Array> {
    yield* head;
    if (complete) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { sample, complete, stream: stream() };
}

export async function* oneByOne<T>(source: AsyncIterable<T>): AsyncIterable<T[]> {
  for await (const item of source) yield [item];
}

/**
 * The source of a two-pass read: `first()` reads it, holding its chunks while they total at most
 * `maxBytes`; `again()` replays them when the whole source was held, else opens it again. A chunk is held
 * as it is (the readers copy what they keep) unless it is a small view of a larger buffer (a socket's
 * read), which would keep all of that buffer alive: then a copy of its bytes is held.
 */
export function replayable(open: () => AsyncIterable<Uint8Array>, maxBytes: number) {
  let held: Uint8Array[] | undefined = [];
  let heldBytes = 0;
  let complete = false;
  return {
    async *first(): AsyncIterable<Uint8Array> {
      for await (const chunk of open()) {
        if (held) {
          heldBytes += chunk.byteLength;
          if (heldBytes > maxBytes) held = undefined;
          else held.push(2 * chunk.byteLength >= chunk.buffer.byteLength ? chunk : new Uint8Array(chunk));
        }
        yield chunk;
      }
      complete = true;
    },
    again(): AsyncIterable<Uint8Array> {
      const chunks = complete ? held : undefined;
      held = undefined;
      if (!chunks) return open();
      return (async function* () {
        yield* chunks;
      })();
    },
  };
}

export async function* counted(
  source: AsyncIterable<Uint8Array>,
  onBytes: (n: number) => void,
): AsyncIterable<Uint8Array> {
  for await (const chunk of source) {
    onBytes(chunk.byteLength);
    yield chunk;
  }
}
