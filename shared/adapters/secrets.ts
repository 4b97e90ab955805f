import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SourceError } from '../errors.js';
import type { SecretStore } from '../ports.js';
import { rethrowSdkError, sdkErrorName } from './sdk-errors.js';

/** How long a fetched secret is reused: a rotated secret is picked up within this, calls stay few. */
const CACHE_MS = 5 * 60_000;

/**
 * Secrets Manager, tenant-scoped by name: a connector of tenant `t` naming `pg-prod` reads
 * `<prefix><t>/pg-prod`, and the function's policy allows only `<prefix>*`, so no tenant can name
 * another tenant's secret or anything outside strata's. Values are cached per warm container.
 */
export class SecretsManagerSecrets implements SecretStore {
  private readonly cache = new Map<string, { value: string; at: number }>();

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {}

  secretId(tenant: string, name: string): string {
    return `${this.prefix}${tenant}/${name}`;
  }

  async getSecret(tenant: string, name: string): Promise<string> {
    const id = this.secretId(tenant, name);
    const hit = this.cache.get(id);
    if (hit && this.now() - hit.at < CACHE_MS) return hit.value;
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: id }));
      if (out.SecretString === undefined) throw new SourceError(`secret "${name}" has no string value`);
      this.cache.set(id, { value: out.SecretString, at: this.now() });
      return out.SecretString;
    } catch (error) {
      if (error instanceof SourceError) throw error;
      const code = sdkErrorName(error);
      if (code === 'ResourceNotFoundException' || code === 'AccessDeniedException') {
        throw new SourceError(`secret "${name}" does not exist for this tenant`);
      }
      return rethrowSdkError('GetSecretValue', error);
    }
  }
}

/** `pg-prod` → `STRATA_SECRET_PG_PROD`: the variable a local secret is read from. */
export function secretVariable(name: string): string {
  return `STRATA_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * Local secrets: environment variables `STRATA_SECRET_<NAME>`, then the same names in a dotenv file (the
 * local cloud's `secrets.env`, read at every lookup so a secret added while it runs is seen). The local
 * cloud is one developer's, so names are not tenant-scoped here.
 */
export class EnvSecrets implements SecretStore {
  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly file?: string,
  ) {}

  async getSecret(_tenant: string, name: string): Promise<string> {
    const variable = secretVariable(name);
    const fromEnv = this.env[variable];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    if (this.file !== undefined) {
      let text = '';
      try {
        text = readFileSync(this.file, 'utf8');
      } catch {
        // no file yet: same as no entry
      }
      const value = parseEnv(text)[variable];
      if (value !== undefined && value !== '') return value;
    }
    throw new SourceError(
      `secret "${name}" is not set: export ${variable} or add it to the local cloud's secrets.env`,
    );
  }
}
