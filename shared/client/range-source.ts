/**
 * Random access to an object behind a (presigned) HTTP URL: the `ByteRangeSource` strata's Parquet reader
 * takes, over fetch with `Range:` headers. The reader asks for the footer, then only the column chunks of
 * the row groups it reads, so a client reads a data file straight from the bucket without the API in the
 * path and without downloading what it does not need.
 */
import type { ByteRangeSource } from '../formats/parquet.js';
import { ApiError } from './http.js';

export interface HttpRangeSourceOptions {
  /** The object's size in bytes (the files route answers it), so the first read can ask for the tail. */
  size: number;
  fetch?: typeof fetch;
  /** Counts what was fetched: the evidence that a read skipped what it did not need. */
  counter?: { requests: number; bytes: number };
}

/**
 * A source over `url`. A failed read is an `ApiError` carrying the HTTP status and the store's error
 * code (an expired presigned URL is a 403 `AccessDenied` or `ExpiredToken`, a vacuumed file a 404).
 */
export function httpRangeSource(url: string, options: HttpRangeSourceOptions): ByteRangeSource {
  const doFetch = options.fetch ?? fetch;
  return {
    size: options.size,
    async read(start: number, end: number): Promise<Uint8Array> {
      if (end <= start) return new Uint8Array(0);
      const response = await doFetch(url, { headers: { range: `bytes=${start}-${end - 1}` } });
      if (!response.ok) {
        const text = await response.text();
        const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
        throw new ApiError(
          response.status,
          code ?? `HTTP${response.status}`,
          `reading bytes ${start}-${end - 1} of a data file answered ${response.status}${code ? ` ${code}` : ''}`,
          text,
        );
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (options.counter) {
        options.counter.requests++;
        options.counter.bytes += bytes.byteLength;
      }
      // A server that ignores Range answers 200 with the whole object: take the slice asked for.
      if (response.status === 200 && bytes.byteLength === options.size && end - start !== options.size) {
        return bytes.subarray(start, end);
      }
      return bytes;
    },
  };
}
