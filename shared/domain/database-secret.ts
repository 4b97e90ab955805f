/**
 * A database connector names a secret, never a host or a password: credentials rotate in Secrets Manager
 * without touching the connector config. The secret holds JSON in the shape AWS RDS writes (rotation
 * templates use `username`/`dbname`; hand-written secrets often say `user`/`database`), so both spellings
 * are accepted. Pure, so the wiring and the tests parse it the same way; an error never repeats the text
 * (it holds the password).
 */
import { z } from 'zod';
import { SourceError } from '../errors.js';
import type { AddressClass } from './network.js';

export type DatabaseEngine = 'postgresql' | 'mysql';

/** What a driver needs to open one connection. */
export interface DatabaseConnection {
  host: string;
  port: number;
  user: string;
  password: string;
  /**
   * Absent in RDS-managed master secrets: PostgreSQL then uses the database named like the user, MySQL
   * none (tables must then be qualified as `db.table`).
   */
  database: string | undefined;
  /**
   * TLS with certificate and host name verification (`true`), plain TCP (`false`, an explicit opt-out),
   * or absent: TLS exactly when the host's address is public (see `useTls`).
   */
  ssl: boolean | undefined;
}

export const DEFAULT_PORTS: Record<DatabaseEngine, number> = { postgresql: 5432, mysql: 3306 };

const port = z.union([
  z.number().int().min(1).max(65_535),
  z
    .string()
    .regex(/^\d{1,5}$/)
    .transform(Number)
    .pipe(z.number().int().min(1).max(65_535)),
]);

const nonEmpty = z.string().min(1).max(1024);

const secretSchema = z
  .object({
    host: nonEmpty,
    port: port.optional(),
    username: nonEmpty.optional(),
    user: nonEmpty.optional(),
    // Empty passwords exist (trust setups), so only the type is checked.
    password: z.string().max(4096),
    dbname: nonEmpty.optional(),
    database: nonEmpty.optional(),
    ssl: z.boolean().optional(),
  })
  .refine((s) => s.username !== undefined || s.user !== undefined, {
    message: 'username (or user) is required',
    path: ['username'],
  });

/**
 * Parses a database secret's value. Throws SourceError naming the fields that are wrong, never their
 * values: a retry will not fix a malformed secret, and its text must not reach logs or run records.
 */
export function parseDatabaseSecret(text: string, engine: DatabaseEngine): DatabaseConnection {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SourceError(`database secret is not JSON (expected {host, port, username, password, dbname})`);
  }
  const parsed = secretSchema.safeParse(json);
  if (!parsed.success) {
    // Paths and zod's messages only: they describe expectations, not the received values.
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new SourceError(`database secret has the wrong shape: ${problems}`);
  }
  const s = parsed.data;
  return {
    host: s.host,
    port: s.port ?? DEFAULT_PORTS[engine],
    // The refine above guarantees one of them.
    user: s.username ?? s.user ?? '',
    password: s.password,
    database: s.dbname ?? s.database,
    ssl: s.ssl,
  };
}

/**
 * Whether to speak TLS to a database at an address of this class. A public address is reached over the
 * internet, where credentials and rows must not travel in clear text unless the secret says `ssl: false`;
 * a private one (a VPC endpoint, often without a certificate for its address) is plain unless it says
 * `ssl: true`.
 */
export function useTls(ssl: boolean | undefined, address: AddressClass): boolean {
  return ssl ?? address === 'public';
}
