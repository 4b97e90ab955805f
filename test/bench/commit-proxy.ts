/**
 * A counting HTTP proxy in front of MinIO, for the commit case's count of what delta-rs reads: delta-rs
 * offers no hook into its object store, so its requests go through this on an unmeasured pass. Requests are
 * forwarded byte for byte, Host header included, so their SigV4 signatures still hold at MinIO. Never on a
 * timed path: it costs a hop per request.
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { noRequests, type RequestCount } from './commit-ours.js';

export interface CountingProxy {
  /** The endpoint to give clients instead of MinIO's. */
  url: string;
  /** What went through since it started (take copies to diff). */
  count: RequestCount;
  close(): Promise<void>;
}

export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true });
  const count = noRequests();
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    // A ListObjectsV2 is a GET of the bucket with list-type=2; any other GET reads an object.
    const list = method === 'GET' && /[?&]list-type=2(&|$)/.test(req.url ?? '');
    const get = method === 'GET' && !list;
    if (list) count.list++;
    else if (get) count.get++;
    else if (method === 'PUT') count.put++;
    else count.other++;
    const forward = request(
      {
        host: target.hostname,
        port: target.port,
        method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (get && answer.statusCode !== undefined && answer.statusCode < 300) {
          answer.on('data', (chunk: Buffer) => {
            count.bytesRead += chunk.byteLength;
          });
        }
        answer.pipe(res);
      },
    );
    forward.on('error', (error) => {
      res.destroy(error);
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    count,
    close: () =>
      new Promise<void>((resolveClose) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
