import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../domain/hashing.js';
import { isValidName } from '../domain/object-key.js';
import { InvalidInputError, UnauthorizedError } from '../errors.js';
import type { ApiKeyStore, Clock } from '../ports.js';

export interface ApiKeyDeps {
  apiKeys: ApiKeyStore;
  clock: Clock;
}

const PREFIX = 'sk_strata_';

export function hashApiKey(apiKey: string): string {
  return sha256Hex(apiKey);
}

/** Issues a key for a tenant. The plain key is returned once and never stored. */
export async function createApiKey(deps: ApiKeyDeps, tenant: string, name: string): Promise<string> {
  if (!isValidName(tenant)) throw new InvalidInputError(`invalid tenant name "${tenant}"`);
  const apiKey = `${PREFIX}${randomBytes(24).toString('base64url')}`;
  await deps.apiKeys.putApiKey(hashApiKey(apiKey), {
    tenant,
    name,
    createdAt: deps.clock.now().toISOString(),
  });
  return apiKey;
}

/** The tenant an API key belongs to; every API route is scoped to it by the authorizer. */
export async function authenticate(deps: Pick<ApiKeyDeps, 'apiKeys'>, apiKey: string | undefined) {
  if (!apiKey?.startsWith(PREFIX)) throw new UnauthorizedError('missing or malformed API key');
  const record = await deps.apiKeys.getApiKey(hashApiKey(apiKey));
  if (!record) throw new UnauthorizedError('unknown API key');
  return { tenant: record.tenant, keyName: record.name };
}
