import { isIP } from 'node:net';
import { addressAllowed, classifyAddress, type NetworkPolicy } from '../domain/network.js';
import { SourceError, TransientError } from '../errors.js';
import type { FetchLike, ObjectSource, RecordSource } from '../ports.js';
import type { PinnedAddress, PinnedResponse } from './pinned-http.js';

/** All addresses a name resolves to (dns.promises.lookup with `all: true` in production). */
export type LookupAll = (host: string) => Promise<Array<{ address: string }>>;

/** One HTTP GET sent to an address the guard pinned (pinnedGet in production). */
export type PinnedRequest = (
  url: string,
  init: { headers: Record<string, string> },
  pinned: PinnedAddress,
) => Promise<PinnedResponse>;

const MAX_REDIRECTS = 5;

/**
 * Refuses connector hosts outside the deployment's network policy (domain/network.ts). A host is resolved
 * once per connection, every address it resolves to is checked, and the connection is made to the
 * address checked (pinned), never to whatever a second resolution says. Redirects are followed here, one
 * checked and pinned hop at a time, and credentials are not carried to another origin.
 */
export class HostGuard {
  constructor(
    private readonly policy: NetworkPolicy,
    private readonly lookup: LookupAll,
  ) {}

  /** Resolves `host` once and returns the address to connect to; SourceError when any address is refused. */
  async pin(host: string): Promise<PinnedAddress> {
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
    // Every address must pass, not just the first: a resolver may hand them out in any order.
    const refused = addresses.find((a) => !addressAllowed(a, this.policy));
    // IPv4 first: Lambda outside a dual-stack VPC has no IPv6 route, and resolvers order answers freely.
    const address = addresses.find((a) => isIP(a) === 4) ?? addresses[0];
    if (address === undefined || refused !== undefined) {
      throw new SourceError(
        `host "${host}" is a ${refused === undefined ? 'name without addresses' : `${classifyAddress(refused)} address`}; ` +
          `connectors of this deployment may reach ${this.policy === 'private' ? 'public and private' : this.policy === 'any' ? 'no metadata or documentation' : 'public'} addresses only`,
      );
    }
    return { host: bare, address, family: isIP(address) === 6 ? 6 : 4 };
  }

  async check(host: string): Promise<void> {
    await this.pin(host);
  }

  /** GET with every hop's host resolved, checked and pinned. */
  fetch(request: PinnedRequest): FetchLike {
    return async (url, init) => {
      let current = url;
      let headers = init.headers;
      for (let hop = 0; ; hop++) {
        const target = new URL(current);
        const pinned = await this.pin(target.hostname);
        const res = await request(current, { headers }, pinned);
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

  /** A database source built for the pinned address of `host`, when its pull starts. */
  records(build: (pinned: PinnedAddress) => RecordSource, host: string): RecordSource {
    const pin = () => this.pin(host);
    return {
      async *pull(from) {
        yield* build(await pin()).pull(from);
      },
    };
  }

  /**
   * An object source built for the pinned address of its endpoint's host when its listing starts (AWS's
   * own endpoint, `host` undefined, is not a tenant's choice and needs no pin); reads use the same one.
   */
  objects(
    build: (pinned: PinnedAddress | undefined) => ObjectSource,
    host: string | undefined,
  ): ObjectSource {
    let source: ObjectSource | undefined;
    const open = async () => {
      source ??= build(host === undefined ? undefined : await this.pin(host));
      return source;
    };
    return {
      async *list(from, batchSize) {
        yield* (await open()).list(from, batchSize);
      },
      async *read(key) {
        yield* (await open()).read(key);
      },
    };
  }
}
