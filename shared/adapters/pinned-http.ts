/**
 * HTTP(S) to an address decided before the connection: the host guard resolves a connector's host once,
 * checks every address, and the request connects to the address it checked. Left to itself, `fetch` (and
 * any driver) would resolve the name again, and a name whose DNS answers a public address to the check
 * and a private one to the connection (DNS rebinding) would reach what the check refused.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { SourceError, TransientError } from '../errors.js';

/** A name resolved and checked once; every connection for it goes to `address`. */
export interface PinnedAddress {
  /** The name as the connector gave it (TLS SNI and certificate checks use it). */
  host: string;
  address: string;
  family: 4 | 6;
}

/** A `lookup` for sockets and agents that answers the pinned address, whatever name is asked. */
export function pinnedLookup(pinned: PinnedAddress): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  }) as LookupFunction;
}

/** HTTP and HTTPS agents whose every connection goes to the pinned address (for SDK clients). */
export function pinnedAgents(pinned: PinnedAddress) {
  const lookup = pinnedLookup(pinned);
  return { httpAgent: new HttpAgent({ lookup }), httpsAgent: new HttpsAgent({ lookup }) };
}

export interface PinnedResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface PinnedRequestLimits {
  /** Whole request, headers to last byte. */
  timeoutMs: number;
  /** Decoded body size past which the response is refused (a connector page, not a download). */
  maxBytes: number;
}

const DEFAULT_LIMITS: PinnedRequestLimits = { timeoutMs: 60_000, maxBytes: 256 * 1024 * 1024 };

/** One GET to the pinned address; redirects are returned, not followed (the guard checks each hop). */
export function pinnedGet(
  url: string,
  init: { headers: Record<string, string> },
  pinned: PinnedAddress,
  limits: PinnedRequestLimits = DEFAULT_LIMITS,
): Promise<PinnedResponse> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: 'GET',
        headers: { 'accept-encoding': 'gzip, deflate, br', ...init.headers },
        lookup: pinnedLookup(pinned),
        timeout: limits.timeoutMs,
      },
      (res) => {
        readBody(res, limits.maxBytes, url).then(
          (body) =>
            resolve({
              status: res.statusCode ?? 0,
              headers: {
                get(name) {
                  const value = res.headers[name.toLowerCase()];
                  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
                },
              },
              async text() {
                try {
                  return new TextDecoder('utf-8', { fatal: true }).decode(body);
                } catch {
                  throw new SourceError(
                    `the response of ${target.origin}${target.pathname} is not valid UTF-8`,
                  );
                }
              },
            }),
          reject,
        );
      },
    );
    req.on('timeout', () =>
      req.destroy(
        new TransientError(`GET ${target.origin}${target.pathname} timed out after ${limits.timeoutMs} ms`),
      ),
    );
    req.on('error', (error) => reject(error));
    req.end();
  });
}

async function readBody(res: IncomingMessage, maxBytes: number, url: string): Promise<Uint8Array> {
  const encoding = String(res.headers['content-encoding'] ?? 'identity').toLowerCase();
  const stream =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? res.pipe(createGunzip())
      : encoding === 'deflate'
        ? res.pipe(createInflate())
        : encoding === 'br'
          ? res.pipe(createBrotliDecompress())
          : res;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      res.destroy();
      throw new SourceError(`the response of ${new URL(url).origin} is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
