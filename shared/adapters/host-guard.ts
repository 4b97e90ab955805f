import { isIP } from 'node:net';
import type { FetchLike } from '../app/rest-pull.js';
import { addressAllowed, classifyAddress, type NetworkPolicy } from '../domain/network.js';
import { SourceError, TransientError } from '../errors.js';
import type { ObjectSource, RecordSource } from '../ports.js';

/** All addresses a name resolves to (dns.promises.lookup with `all: true` in production). */
export type LookupAll = (host: string) => Promise<Array<{ address: string }>>;

const MAX_REDIRECTS = 5;

/**
 * Refuses connector hosts outside the deployment's network policy (domain/network.ts), by the addresses
 * the name resolves to now, before each connection. Redirects are followed here, one checked hop at a
 * time, and credentials are not carried to another origin.
 */
export class HostGuard {
  constructor(
    private readonly policy: NetworkPolicy,
    private readonly lookup: LookupAll,
  ) {}

  async check(host: string): Promise<void> {
    if (this.policy === 'any') return;
    const bare = host.replace(/^\[|\]$/g, '');
    let addresses: string[];
    if (isIP(bare) !== 0) addresses = [bare];
    else {
      try {
        addresses = (await this.lookup(bare)).map((a) => a.address);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'ENOTFOUND' || code === 'ENODATA')
          throw new SourceError(`host "${host}" does not resolve`);
        throw new TransientError(`resolving "${host}" failed: ${code ?? 'unknown'}`);
      }
    }
    const refused = addresses.find((a) => !addressAllowed(a, this.policy));
    if (addresses.length === 0 || refused !== undefined) {
      throw new SourceError(
        `host "${host}" is a ${refused === undefined ? 'name without addresses' : `${classifyAddress(refused)} address`}; ` +
          `connectors of this deployment may reach ${this.policy === 'private' ? 'public and private' : 'public'} addresses only`,
      );
    }
  }

  /** `fetch` with every hop's host checked. */
  fetch(inner: typeof fetch): FetchLike {
    return async (url, init) => {
      let current = url;
      let headers = init.headers;
      for (let hop = 0; ; hop++) {
        const target = new URL(current);
        await this.check(target.hostname);
        const res = await inner(current, { ...init, headers, redirect: 'manual' });
        const location = res.headers.get('location');
        if (res.status < 300 || res.status >= 400 || location === null) return res;
        if (hop >= MAX_REDIRECTS) throw new SourceError(`more than ${MAX_REDIRECTS} redirects from ${url}`);
        const next = new URL(location, current);
        // An auth header is for the origin it was configured for, never for where that origin sends us.
        if (next.origin !== target.origin) headers = { accept: headers.accept ?? 'application/json' };
        current = next.toString();
      }
    };
  }

  records(source: RecordSource, host: string): RecordSource {
    const check = () => this.check(host);
    return {
      async *pull(from) {
        await check();
        yield* source.pull(from);
      },
    };
  }

  objects(source: ObjectSource, host: string | undefined): ObjectSource {
    const check = () => (host === undefined ? Promise.resolve() : this.check(host));
    return {
      async *list(from, batchSize) {
        await check();
        yield* source.list(from, batchSize);
      },
      read: (key) => source.read(key),
    };
  }
}
