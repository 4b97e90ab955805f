/**
 * A paginated JSON API for connector tests: `GET /records?page=N&per_page=M` answers
 * `{data: [...], next: N+1 | null}` over rows sorted by `updated_at`, like the APIs teams pull from.
 * Pages can be made to fail (HTTP 500) to exercise retries and mid-pull failures; a bearer token can be
 * required. Listens on 127.0.0.1 only.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ApiRecord {
  id: number;
  updated_at: string;
  [field: string]: unknown;
}

export interface RecordsApi {
  url: string;
  rows: ApiRecord[];
  /** page number → how many more requests of it fail with 500 */
  failPage: Map<number, number>;
  token: string | undefined;
  /** Every answer waits this long (a slow source, to observe a run in progress). */
  delayMs: number;
  requests: string[];
  close(): Promise<void>;
}

export async function startRecordsApi(): Promise<RecordsApi> {
  const api: Omit<RecordsApi, 'url' | 'close'> = {
    rows: [],
    failPage: new Map(),
    token: undefined,
    delayMs: 0,
    requests: [],
  };
  const server: Server = createServer(async (req, res) => {
    if (api.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, api.delayMs));
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    api.requests.push(`${url.pathname}${url.search}`);
    if (api.token !== undefined && req.headers.authorization !== `Bearer ${api.token}`) {
      res.writeHead(401).end();
      return;
    }
    if (url.pathname !== '/records') {
      res.writeHead(404).end();
      return;
    }
    const page = Number(url.searchParams.get('page') ?? 1);
    const perPage = Number(url.searchParams.get('per_page') ?? 10);
    const failing = api.failPage.get(page) ?? 0;
    if (failing > 0) {
      api.failPage.set(page, failing - 1);
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"unavailable"}');
      return;
    }
    const sorted = [...api.rows].sort((a, b) => a.updated_at.localeCompare(b.updated_at) || a.id - b.id);
    const data = sorted.slice((page - 1) * perPage, page * perPage);
    const next = page * perPage < sorted.length ? page + 1 : null;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data, next }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(api, {
    url: `http://127.0.0.1:${port}/records`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** Rows `from..to` (inclusive ids), one second apart from 2026-01-01T00:00:00Z. */
export function apiRows(from: number, to: number): ApiRecord[] {
  const rows: ApiRecord[] = [];
  for (let id = from; id <= to; id++) {
    rows.push({
      id,
      updated_at: new Date(Date.UTC(2026, 0, 1) + id * 1000).toISOString(),
      amount: id * 1.5,
      label: id % 2 === 0 ? 'even' : 'odd',
    });
  }
  return rows;
}
