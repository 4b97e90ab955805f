import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostGuard } from '../../shared/adapters/host-guard.js';
import { addressAllowed, classifyAddress } from '../../shared/domain/network.js';
import { SourceError } from '../../shared/errors.js';

describe('connector network policy', () => {
  it('classifies the addresses a tenant could aim a connector at', () => {
    const cases: Record<string, string> = {
      '127.0.0.1': 'loopback',
      '127.9.9.9': 'loopback',
      '169.254.169.254': 'link-local',
      '10.1.2.3': 'private',
      '172.16.0.1': 'private',
      '172.31.255.255': 'private',
      '172.32.0.1': 'public',
      '192.168.1.1': 'private',
      '100.64.0.1': 'private',
      '0.0.0.0': 'unspecified',
      '224.0.0.1': 'reserved',
      '8.8.8.8': 'public',
      '::1': 'loopback',
      '::': 'unspecified',
      '::ffff:127.0.0.1': 'loopback',
      '::ffff:7f00:1': 'loopback',
      '::ffff:8.8.8.8': 'public',
      'fe80::1%eth0': 'link-local',
      'fd00:ec2::254': 'private',
      '64:ff9b::a9fe:a9fe': 'link-local',
      '2001:4860:4860::8888': 'public',
      '[::1]': 'loopback',
      'not-an-ip': 'reserved',
    };
    for (const [ip, kind] of Object.entries(cases)) expect(classifyAddress(ip), ip).toBe(kind);
  });

  it('lets a VPC deployment reach private addresses but never loopback or link-local ones', () => {
    expect(addressAllowed('10.0.0.5', 'public')).toBe(false);
    expect(addressAllowed('10.0.0.5', 'private')).toBe(true);
    expect(addressAllowed('127.0.0.1', 'private')).toBe(false);
    expect(addressAllowed('169.254.169.254', 'private')).toBe(false);
    expect(addressAllowed('127.0.0.1', 'any')).toBe(true);
  });
});

describe('the host guard', () => {
  let server: Server;
  let port = 0;
  const seen: { path: string; auth: string | undefined }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ path: req.url ?? '', auth: req.headers.authorization });
      if (req.url === '/hop') {
        res.writeHead(302, { location: `http://localhost:${port}/data` }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('refuses a REST source on the loopback interface, where Lambda serves its runtime API', async () => {
    // Prepare
    const guard = new HostGuard('public', async () => [{ address: '127.0.0.1' }]);
    const get = guard.fetch(fetch);

    // Act
    const literal = get(`http://127.0.0.1:${port}/data`, { method: 'GET', headers: {} });
    const named = get(`http://api.internal:${port}/data`, { method: 'GET', headers: {} });

    // Assess
    await expect(literal).rejects.toThrow(SourceError);
    await expect(named).rejects.toThrow(/loopback address/);
    expect(seen).toEqual([]);
  });

  it('checks every redirect hop and drops the auth header when the origin changes', async () => {
    // Prepare: "localhost" resolves to a public-looking address for the test, so only the policy decides
    const guard = new HostGuard('any', async () => [{ address: '127.0.0.1' }]);
    const refusing = new HostGuard('public', async (host) =>
      host === 'localhost' ? [{ address: '127.0.0.1' }] : [{ address: '8.8.8.8' }],
    );

    // Act
    const res = await guard.fetch(fetch)(`http://127.0.0.1:${port}/hop`, {
      method: 'GET',
      headers: { authorization: 'Bearer x' },
    });
    const refused = refusing.check('localhost');

    // Assess
    expect(res.status).toBe(200);
    expect(seen.slice(-2)).toEqual([
      { path: '/hop', auth: 'Bearer x' },
      { path: '/data', auth: undefined },
    ]);
    await expect(refused).rejects.toThrow(SourceError);
  });

  it('reports a name that does not resolve as a source problem', async () => {
    const guard = new HostGuard('public', async () => {
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    });
    await expect(guard.check('no.such.host')).rejects.toThrow(/does not resolve/);
  });
});
