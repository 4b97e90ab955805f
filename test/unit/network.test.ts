import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostGuard, type PinnedRequest } from '../../shared/adapters/host-guard.js';
import { type PinnedAddress, pinnedGet } from '../../shared/adapters/pinned-http.js';
import { parseDatabaseSecret, useTls } from '../../shared/domain/database-secret.js';
import { addressAllowed, classifyAddress } from '../../shared/domain/network.js';
import { SourceError } from '../../shared/errors.js';

describe('connector network policy', () => {
  it('classifies the addresses a tenant could aim a connector at', () => {
    const cases: Record<string, string> = {
      '127.0.0.1': 'loopback',
      '127.9.9.9': 'loopback',
      '169.254.169.254': 'metadata',
      '169.254.170.2': 'metadata',
      '169.254.1.1': 'link-local',
      '192.0.2.10': 'documentation',
      '198.51.100.7': 'documentation',
      '203.0.113.200': 'documentation',
      '192.0.0.192': 'reserved',
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
      'fd00:ec2::254': 'metadata',
      'fd00:ec2:0:0:0:0:0:254': 'metadata',
      'fd00:ec2::253': 'private',
      '2001:db8::1': 'documentation',
      '3fff:1::1': 'documentation',
      '64:ff9b::a9fe:a9fe': 'metadata',
      '64:ff9b::a9fe:101': 'link-local',
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

  it('refuses metadata services and documentation ranges under every policy, the local one included', () => {
    for (const policy of ['public', 'private', 'any'] as const) {
      for (const ip of [
        '169.254.169.254',
        'fd00:ec2::254',
        '::ffff:169.254.169.254',
        '192.0.2.1',
        '2001:db8::5',
      ]) {
        expect(addressAllowed(ip, policy), `${ip} under ${policy}`).toBe(false);
      }
    }
  });
});

describe('database TLS', () => {
  it('speaks TLS to a database at a public address unless its secret opts out', () => {
    // Prepare
    const secret = (extra: object) =>
      parseDatabaseSecret(
        JSON.stringify({ host: 'db.example', user: 'u', password: 'p', ...extra }),
        'postgresql',
      );

    // Act / Assess
    expect(useTls(secret({}).ssl, classifyAddress('8.8.8.8'))).toBe(true);
    expect(useTls(secret({}).ssl, classifyAddress('10.0.0.7'))).toBe(false);
    expect(useTls(secret({ ssl: false }).ssl, classifyAddress('8.8.8.8'))).toBe(false);
    expect(useTls(secret({ ssl: true }).ssl, classifyAddress('10.0.0.7'))).toBe(true);
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
    const get = guard.fetch(pinnedGet);

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
    const res = await guard.fetch(pinnedGet)(`http://127.0.0.1:${port}/hop`, {
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

  it('connects to the address it checked when DNS answers public first and loopback second', async () => {
    // Prepare: a rebinding resolver, and a transport that records where each request was sent
    const answers = ['93.184.216.34', '127.0.0.1'];
    let lookups = 0;
    const guard = new HostGuard('public', async () => [{ address: answers[lookups++] ?? '127.0.0.1' }]);
    const sentTo: PinnedAddress[] = [];
    const transport: PinnedRequest = async (_url, _init, pinned) => {
      sentTo.push(pinned);
      return { status: 200, headers: { get: () => null }, text: async () => '[]' };
    };

    // Act
    const res = await guard.fetch(transport)('http://rebind.example/data', { method: 'GET', headers: {} });
    const next = guard.fetch(transport)('http://rebind.example/data?page=2', { method: 'GET', headers: {} });

    // Assess: one resolution per request; the connection used the checked answer; the next page's
    // resolution (now loopback) is checked again and refused
    expect(res.status).toBe(200);
    expect(sentTo).toEqual([{ host: 'rebind.example', address: '93.184.216.34', family: 4 }]);
    await expect(next).rejects.toThrow(/loopback address/);
    expect(sentTo).toHaveLength(1);
    expect(lookups).toBe(2);
  });

  it('refuses a name when any of its addresses is refused, whatever their order', async () => {
    const guard = new HostGuard('public', async () => [{ address: '8.8.8.8' }, { address: '10.0.0.1' }]);
    await expect(guard.pin('mixed.example')).rejects.toThrow(/private address/);
  });

  it('sends the request to the pinned address without resolving the name again', async () => {
    // Prepare: ".invalid" never resolves in DNS (RFC 6761); only the guard's answer can reach the server
    const guard = new HostGuard('any', async () => [{ address: '127.0.0.1' }]);

    // Act
    const res = await guard.fetch(pinnedGet)(`http://source.invalid:${port}/data`, {
      method: 'GET',
      headers: { authorization: 'Bearer y' },
    });

    // Assess
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('[]');
    expect(seen.at(-1)).toEqual({ path: '/data', auth: 'Bearer y' });
  });

  it('refuses the metadata service even on the local cloud', async () => {
    const guard = new HostGuard('any', async () => [{ address: 'fd00:ec2::254' }]);
    await expect(guard.pin('instance-data.example')).rejects.toThrow(/metadata address/);
  });

  it('reports a name that does not resolve as a source problem', async () => {
    const guard = new HostGuard('public', async () => {
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    });
    await expect(guard.check('no.such.host')).rejects.toThrow(/does not resolve/);
  });
});
