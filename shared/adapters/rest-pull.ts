/**
 * REST pull: walks a paginated JSON API and yields record batches for the connector Lambda to
 * write as Parquet into fresh/<tenant>/<dataset>/. It never stores a watermark itself: each batch carries
 * the watermark that becomes valid once *that batch's file* is written, so a failure anywhere leaves the
 * caller's stored watermark where it was and nothing is pulled twice or lost.
 *
 * The auth secret is only ever put in the request header; every error message is redacted and raw
 * causes (which might echo request options) are not attached.
 */
import {
  compareWatermark,
  evaluateJsonPath,
  firstPageRequest,
  isAfterWatermark,
  nextPageRequest,
  nextWatermark,
  type PageRequest,
  type RestConnectorConfig,
  redact,
  type Watermark,
  watermarkValue,
} from '../domain/connectors.js';
import { SourceError, TransientError } from '../errors.js';
import type { FetchLike } from '../ports.js';

export interface RestPullDeps {
  fetch: FetchLike;
  /** Injected so tests observe rate limiting and backoff without waiting. */
  sleep: (ms: number) => Promise<void>;
  /** Milliseconds clock (Date.now in production). */
  now: () => number;
  /** The stored watermark; records at or before it are skipped. */
  watermark?: Watermark | undefined;
  /** Value of `config.auth.secretName`, resolved by the caller. Required when `config.auth` is set. */
  secretValue?: string | undefined;
  /** First backoff delay; doubles per attempt. Default 500 ms. */
  baseBackoffMs?: number;
  /** Cap on a single backoff (and on a server's Retry-After). Default 30 s. */
  maxBackoffMs?: number;
}

export interface PullCounts {
  /** Records returned by the server so far. */
  read: number;
  /** Records newer than the watermark, yielded so far. */
  kept: number;
  /** Records at/before the watermark (or without the incremental field). */
  skipped: number;
  /** HTTP requests made so far, retries included. */
  requests: number;
  pages: number;
}

export interface RestBatch {
  records: Record<string, unknown>[];
  /**
   * The watermark to store once this batch is durably written: max of the incremental field over this and
   * all earlier batches of this pull, never behind the starting watermark. Undefined without an
   * incremental field (and no starting watermark).
   */
  watermark: Watermark | undefined;
  /** Cumulative counts at the time of this batch. */
  counts: PullCounts;
}

/** The generator's return value: final counts even when no batch was yielded (nothing new). */
export interface PullSummary {
  watermark: Watermark | undefined;
  counts: PullCounts;
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/** Retry-After in ms (seconds or HTTP date), or undefined. */
function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Pulls every page after the watermark, in order, yielding batches of at most `config.batchSize` records.
 * Throws `TransientError` when retries are exhausted (429/5xx/network), `SourceError` for other 4xx, a
 * missing secret or a body that is not JSON or has no record array at `recordsPath`.
 */
export async function* pullRest(
  config: RestConnectorConfig,
  deps: RestPullDeps,
): AsyncGenerator<RestBatch, PullSummary, undefined> {
  const secret = deps.secretValue;
  if (config.auth !== undefined && (secret === undefined || secret === '')) {
    throw new SourceError(`connector auth secret "${config.auth.secretName}" has no value`);
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  if (config.auth !== undefined && secret !== undefined) headers[config.auth.header] = secret;

  const field = config.incrementalField;
  const startMark = field === undefined ? undefined : deps.watermark;
  const extra: Record<string, string> = {};
  if (config.watermarkParam !== undefined && startMark !== undefined) {
    extra[config.watermarkParam] = String(startMark);
  }

  const interval = 1000 / config.rateLimitPerSecond;
  const base = deps.baseBackoffMs ?? 500;
  const cap = deps.maxBackoffMs ?? 30_000;
  let lastRequestAt: number | undefined;
  const counts: PullCounts = { read: 0, kept: 0, skipped: 0, requests: 0, pages: 0 };

  // Every request, retries included, goes through the rate limiter: a 429 storm must not speed us up.
  async function throttled(url: string) {
    if (lastRequestAt !== undefined) {
      const wait = lastRequestAt + interval - deps.now();
      if (wait > 0) await deps.sleep(wait);
    }
    lastRequestAt = deps.now();
    counts.requests++;
    return deps.fetch(url, { method: 'GET', headers });
  }

  async function fetchPage(req: PageRequest): Promise<{ body: unknown; link: string | null }> {
    let lastProblem = '';
    for (let attempt = 1; attempt <= config.maxAttempts; attempt++) {
      let delay = Math.min(cap, base * 2 ** (attempt - 1));
      try {
        const res = await throttled(req.url);
        if (res.status >= 200 && res.status < 300) {
          const text = await res.text();
          try {
            return { body: JSON.parse(text) as unknown, link: res.headers.get('link') };
          } catch {
            throw new SourceError(`response of page ${req.index + 1} is not JSON`);
          }
        }
        if (!isRetryableStatus(res.status)) {
          throw new SourceError(redact(`GET ${req.url} returned HTTP ${res.status}`, secret));
        }
        lastProblem = `HTTP ${res.status}`;
        const after = retryAfterMs(res.headers.get('retry-after'), deps.now());
        if (after !== undefined) delay = Math.min(cap, Math.max(delay, after));
      } catch (error) {
        if (error instanceof SourceError) throw error;
        // A network error: fetch rejected. Keep only a redacted message, never the raw error object.
        lastProblem = redact(error instanceof Error ? error.message : String(error), secret);
      }
      if (attempt < config.maxAttempts) await deps.sleep(delay);
    }
    throw new TransientError(
      redact(`GET ${req.url} failed after ${config.maxAttempts} attempts: ${lastProblem}`, secret),
    );
  }

  let mark = startMark;
  let pending: Record<string, unknown>[] = [];
  let req: PageRequest | undefined = firstPageRequest(config.url, config.pagination, extra);

  while (req !== undefined && counts.pages < config.maxPages) {
    const { body, link } = await fetchPage(req);
    counts.pages++;
    const found = evaluateJsonPath(body, config.recordsPath);
    if (!Array.isArray(found)) {
      throw new SourceError(`page ${req.index + 1} has no record array at ${config.recordsPath}`);
    }
    counts.read += found.length;
    for (const r of found) {
      if (r === null || typeof r !== 'object' || Array.isArray(r)) {
        counts.skipped++;
        continue;
      }
      if (field !== undefined && !isAfterWatermark(r, field, startMark)) {
        counts.skipped++;
        continue;
      }
      // A full batch is cut only where the incremental value changes: records sharing a value travel
      // together, so a watermark stored after a batch never skips the rest of a tie.
      if (pending.length >= config.batchSize && !sameIncrement(pending[pending.length - 1], r, field)) {
        if (field !== undefined) mark = nextWatermark(mark, pending, field);
        yield { records: pending, watermark: mark, counts: { ...counts } };
        pending = [];
      }
      counts.kept++;
      pending.push(r as Record<string, unknown>);
    }
    req = nextPageRequest(config.pagination, req, { body, recordCount: found.length, linkHeader: link });
  }
  if (pending.length > 0) {
    if (field !== undefined) mark = nextWatermark(mark, pending, field);
    yield { records: pending, watermark: mark, counts: { ...counts } };
  }
  return { watermark: mark, counts: { ...counts } };
}

function sameIncrement(a: unknown, b: unknown, field: string | undefined): boolean {
  if (field === undefined) return false;
  const va = watermarkValue(a, field);
  const vb = watermarkValue(b, field);
  return va !== undefined && vb !== undefined && compareWatermark(va, vb) === 0;
}

/** Convenience for callers and tests: drain a pull into one array plus the final watermark and counts. */
export async function collectRest(
  config: RestConnectorConfig,
  deps: RestPullDeps,
): Promise<{ records: Record<string, unknown>[]; watermark: Watermark | undefined; counts: PullCounts }> {
  const records: Record<string, unknown>[] = [];
  const pull = pullRest(config, deps);
  for (;;) {
    const step = await pull.next();
    if (step.done === true) return { records, ...step.value };
    records.push(...step.value.records);
  }
}
