import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collectRest, pullRest, type RestPullDeps } from '../../shared/adapters/rest-pull.js';
import {
  type RestConnectorConfig,
  restConnectorSchema,
  type Watermark,
} from '../../shared/domain/connectors.js';
import { SourceError, TransientError } from '../../shared/errors.js';
import type { FetchLike } from '../../shared/ports.js';

const SECRET = 'Bearer s3cr3t-token-value';
const PAGE_SIZE = 2;

/**
 * One server, four pagination styles over the same rows. `since` (when sent) filters server-side, so both
 * client-side skipping and the watermark query param are exercised. `failures` injects 500s per request key.
 */
let rows: { id: number; name: string }[] = [];
let failures = new Map<string, number>();
let requests: { path: string; auth: string | undefined }[] = [];
let server: Server;
let baseUrl = '';

function visible(url: URL): { id: number; name: string }[] {
  const since = url.searchParams.get('since');
  return since === null ? rows : rows.filter((r) => r.id > Number(since));
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', baseUrl);
  requests.push({ path: `${url.pathname}${url.search}`, auth: req.headers.authorization });
  const key = `${url.pathname}${url.search}`;
  const left = failures.get(key) ?? 0;
  if (left > 0) {
    failures.set(key, left - 1);
    res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}');
    return;
  }
  if (req.headers.authorization !== SECRET) {
    res.writeHead(401).end();
    return;
  }
  const data = visible(url);
  const json = (body: unknown, headers: Record<string, string> = {}) =>
    res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  switch (url.pathname) {
    case '/page': {
      const page = Number(url.searchParams.get('page') ?? 1);
      json({ data: { items: data.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE) } });
      return;
    }
    case '/offset': {
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? PAGE_SIZE);
      json(data.slice(offset, offset + limit));
      return;
    }
    case '/cursor': {
      const start = Number(url.searchParams.get('cursor') ?? 0);
      const end = start + PAGE_SIZE;
      json({ items: data.slice(start, end), meta: { next: end < data.length ? String(end) : null } });
      return;
    }
    case '/link': {
      const p = Number(url.searchParams.get('p') ?? 0);
      const end = (p + 1) * PAGE_SIZE;
      const next = new URL(url);
      next.searchParams.set('p', String(p + 1));
      json(
        data.slice(p * PAGE_SIZE, end),
        end < data.length ? { link: `<${next.pathname}${next.search}>; rel="next"` } : {},
      );
      return;
    }
    default:
      res.writeHead(404).end();
  }
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  rows = [1, 2, 3, 4, 5].map((id) => ({ id, name: `row-${id}` }));
  failures = new Map();
  requests = [];
});

const STYLES = {
  page: { path: '/page', pagination: { style: 'page' }, recordsPath: '$.data.items' },
  offset: { path: '/offset', pagination: { style: 'offset', limit: PAGE_SIZE }, recordsPath: '$' },
  cursor: {
    path: '/cursor',
    pagination: { style: 'cursor', cursorPath: '$.meta.next' },
    recordsPath: 'items[*]',
  },
  link: { path: '/link', pagination: { style: 'link' }, recordsPath: '$' },
} as const;

function config(style: keyof typeof STYLES, extra: Record<string, unknown> = {}): RestConnectorConfig {
  const s = STYLES[style];
  return restConnectorSchema.parse({
    type: 'rest',
    url: `${baseUrl}${s.path}`,
    auth: { header: 'Authorization', secretName: 'strata/test/token' },
    pagination: s.pagination,
    recordsPath: s.recordsPath,
    incrementalField: 'id',
    ...extra,
  });
}

function deps(extra: Partial<RestPullDeps> = {}): RestPullDeps & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    fetch: fetch as FetchLike,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    now: () => 0,
    secretValue: SECRET,
    sleeps,
    ...extra,
  };
}

describe('pullRest against a local HTTP server', () => {
  it.each(Object.keys(STYLES) as (keyof typeof STYLES)[])(
    'fetches every page in order with %s pagination and sends the auth header',
    async (style) => {
      // Act
      const result = await collectRest(config(style), deps());

      // Assess
      expect(result.records.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
      expect(result.watermark).toBe(5);
      expect(result.counts).toMatchObject({ read: 5, kept: 5, skipped: 0 });
      expect(requests.every((r) => r.auth === SECRET)).toBe(true);
    },
  );

  it.each(Object.keys(STYLES) as (keyof typeof STYLES)[])(
    'second %s pull fetches only rows appended after the watermark (client-side skip)',
    async (style) => {
      // Prepare
      const first = await collectRest(config(style), deps());
      rows.push({ id: 6, name: 'row-6' }, { id: 7, name: 'row-7' });

      // Act
      const second = await collectRest(config(style), deps({ watermark: first.watermark }));

      // Assess
      expect(second.records.map((r) => r.id)).toEqual([6, 7]);
      expect(second.watermark).toBe(7);
      expect(second.counts).toMatchObject({ read: 7, kept: 2, skipped: 5 });
    },
  );

  it('passes the watermark to the server when watermarkParam is set', async () => {
    // Prepare
    rows.push({ id: 6, name: 'row-6' });

    // Act
    const result = await collectRest(config('offset', { watermarkParam: 'since' }), deps({ watermark: 4 }));

    // Assess: the server filtered, so only new rows crossed the wire
    expect(result.records.map((r) => r.id)).toEqual([5, 6]);
    expect(result.counts).toMatchObject({ read: 2, skipped: 0 });
    expect(requests[0]?.path).toBe('/offset?since=4&offset=0&limit=2');
  });

  it('retries a 500 mid-run with exponential backoff and completes', async () => {
    // Prepare: page 2 fails twice, then succeeds
    failures.set('/page?page=2', 2);
    const d = deps();

    // Act
    const result = await collectRest(config('page', { rateLimitPerSecond: 1000 }), d);

    // Assess
    expect(result.records.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    expect(requests.map((r) => r.path).filter((p) => p === '/page?page=2')).toHaveLength(3);
    expect(d.sleeps.filter((ms) => ms >= 500)).toEqual([500, 1000]);
  });

  it('throws TransientError when retries are exhausted and leaves the stored watermark unchanged', async () => {
    // Prepare: the caller stores a watermark only after a batch's file is written
    failures.set('/page?page=2', 100);
    let stored: Watermark | undefined = 0;
    const written: number[] = [];

    // Act
    const run = async () => {
      for await (const batch of pullRest(config('page', { maxAttempts: 3 }), deps({ watermark: stored }))) {
        written.push(...batch.records.map((r) => Number(r.id)));
        stored = batch.watermark;
      }
    };

    // Assess
    await expect(run()).rejects.toBeInstanceOf(TransientError);
    await expect(run()).rejects.toThrow(/after 3 attempts: HTTP 500/);
    expect(stored).toBe(0);
    expect(written).toEqual([]);
  });

  it('pulls nothing twice when a failure interrupts a pull between written batches', async () => {
    // Prepare: batches of 2; page 3 fails until the first run gives up
    failures.set('/page?page=3', 3);
    let stored: Watermark | undefined;
    const written: number[] = [];
    const run = async () => {
      for await (const batch of pullRest(
        config('page', { batchSize: 2, maxAttempts: 3 }),
        deps({ watermark: stored }),
      )) {
        written.push(...batch.records.map((r) => Number(r.id)));
        stored = batch.watermark;
      }
    };

    // Act
    await expect(run()).rejects.toBeInstanceOf(TransientError);
    const afterFailure = stored;
    await run();

    // Assess: batch [3, 4] was read but not yet cut (a batch ends only once the next record shows no tie
    // with it) when page 3 failed, so the first run stored 2; the rerun resumes at 3 and pulls nothing twice
    expect(afterFailure).toBe(2);
    expect(written).toEqual([1, 2, 3, 4, 5]);
    expect(stored).toBe(5);
  });

  it('never splits records sharing an incremental value across two batches', async () => {
    // Prepare: three records at id 2; batches of 2 would cut between them
    rows = [1, 2, 2, 2, 3].map((id, i) => ({ id, name: `row-${i}` }));

    // Act
    const batches: number[][] = [];
    for await (const batch of pullRest(config('page', { batchSize: 2 }), deps())) {
      batches.push(batch.records.map((r) => Number(r.id)));
    }

    // Assess
    expect(batches).toEqual([[1, 2, 2, 2], [3]]);
  });

  it('spaces requests by the rate limit through the injected sleep', async () => {
    // Prepare: 2 requests per second → 500 ms apart; the fake clock never advances
    const d = deps();

    // Act
    await collectRest(config('page', { rateLimitPerSecond: 2 }), d);

    // Assess: pages 1, 2, 3 and the empty page 4 → three waits between four requests
    expect(requests).toHaveLength(4);
    expect(d.sleeps).toEqual([500, 500, 500]);
  });

  it('subtracts elapsed time from the rate-limit wait', async () => {
    // Prepare: each clock read moves 300 ms forward
    let t = 0;
    const d = deps({
      now: () => {
        t += 300;
        return t;
      },
    });

    // Act
    await collectRest(config('page', { rateLimitPerSecond: 1 }), d);

    // Assess: every wait is shorter than the full 1000 ms interval
    expect(d.sleeps.length).toBeGreaterThan(0);
    expect(d.sleeps.every((ms) => ms > 0 && ms < 1000)).toBe(true);
  });
});

describe('pullRest secrecy', () => {
  it('redacts the secret from network error messages', async () => {
    // Prepare: a transport that echoes the header into its error, as some proxies do
    const leaky: FetchLike = async (_url, init) => {
      throw new Error(`connect failed with headers ${JSON.stringify(init.headers)}`);
    };

    // Act
    const error = await collectRest(config('page', { maxAttempts: 2 }), deps({ fetch: leaky })).catch(
      (e) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(TransientError);
    expect(String(error.message)).not.toContain(SECRET);
    expect(String(error.message)).toContain('[REDACTED]');
    expect(JSON.stringify(error)).not.toContain(SECRET);
    expect(error.cause).toBeUndefined();
  });

  it('fails a 401 without retrying and without the secret in the message', async () => {
    // Act
    const error = await collectRest(config('page'), deps({ secretValue: 'Bearer wrong-secret' })).catch(
      (e) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(SourceError);
    expect(String(error.message)).toContain('HTTP 401');
    expect(String(error.message)).not.toContain('wrong-secret');
    expect(requests).toHaveLength(1);
  });

  it('refuses to run when the auth secret has no value', async () => {
    // Act
    const error = await collectRest(config('page'), deps({ secretValue: undefined })).catch((e) => e);

    // Assess
    expect(error).toBeInstanceOf(SourceError);
    expect(requests).toHaveLength(0);
  });
});

describe('pullRest summary', () => {
  it('reports counts and keeps the watermark when nothing is new', async () => {
    // Act
    const result = await collectRest(config('cursor'), deps({ watermark: 5 }));

    // Assess
    expect(result.records).toEqual([]);
    expect(result.watermark).toBe(5);
    expect(result.counts).toMatchObject({ read: 5, kept: 0, skipped: 5, pages: 3 });
  });
});
