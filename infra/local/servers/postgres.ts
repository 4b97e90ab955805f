/**
 * A throwaway PostgreSQL for the database pull connector's tests: the connector must be proven against a
 * real server (cursors, snapshots, SQLSTATEs, password auth), and only the package registries are
 * reachable, so this is Debian's postgresql-15 rather than a container. Every start gets a fresh cluster
 * in a temp dir, on a free loopback port, with a password login (SCRAM over TCP, as on RDS) and no
 * durability (fsync off): a test cluster is never worth keeping.
 */
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ensureDebianPackage } from './debian.js';
import {
  freePort,
  type LocalDatabaseOptions,
  type LocalDatabaseServer,
  runCommand,
  signalAndWait,
  startProcess,
  systemUser,
} from './process.js';

export const POSTGRES_BIN_DIR = '/usr/lib/postgresql/15/bin';

/** The tested version (see DebianPackage.pin). */
export const POSTGRES_DEBIAN_VERSION = '15.18-0+deb12u1';

const SYSTEM_USER = 'postgres';

export type PostgresServer = LocalDatabaseServer;
export type PostgresOptions = LocalDatabaseOptions;

/** Installs Debian's postgresql-15 when its binaries are missing (root + apt-get needed). */
export async function ensurePostgres(log: (message: string) => void = () => {}): Promise<string> {
  await ensureDebianPackage(
    {
      name: 'postgresql-15',
      pin: POSTGRES_DEBIAN_VERSION,
      provides: [join(POSTGRES_BIN_DIR, 'postgres'), join(POSTGRES_BIN_DIR, 'initdb')],
      pinnedIn: 'infra/local/servers/postgres.ts (POSTGRES_DEBIAN_VERSION)',
    },
    log,
  );
  return POSTGRES_BIN_DIR;
}

/**
 * Starts a fresh PostgreSQL 15 on 127.0.0.1 (free port) with role `strata` / a random password and a
 * database `strata` it owns. As root, initdb and the server run as the `postgres` system user (initdb
 * refuses root).
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const log = options.log ?? (() => {});
  const binDir = await ensurePostgres(log);
  const started = Date.now();
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await systemUser(SYSTEM_USER) : undefined;
  // As root the socket and data must belong to `postgres`; mkdtemp's 0700 then admits only it (and root).
  const dir = mkdtempSync(join(tmpdir(), 'strata-postgres-'));
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  const logFile = join(dir, 'postgres.log');
  mkdirSync(socketDir);
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(socketDir, owner.uid, owner.gid);
  }
  const asOwner = (command: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', SYSTEM_USER, '--', command, ...args]] : [command, args];

  try {
    // The bootstrap superuser is reachable only over the socket (trust); TCP always asks for a password.
    const [initCommand, initArgs] = asOwner(join(binDir, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ]);
    await runCommand(initCommand, initArgs, { cwd: dir, logFile: join(dir, 'initdb.log') });

    const port = await freePort();
    const [command, args] = asOwner(join(binDir, 'postgres'), [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${socketDir}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=50',
      // The tests read timestamps back in UTC; a fixed zone also keeps the log readable.
      '-c',
      'timezone=UTC',
      '-c',
      'log_timezone=UTC',
    ]);
    const admin = () =>
      new pg.Client({
        host: socketDir,
        port,
        user: 'postgres',
        database: 'postgres',
        connectionTimeoutMillis: 2_000,
      });
    const server = await startProcess({
      name: 'postgres',
      command,
      args,
      cwd: dir,
      logFile,
      // The port opens before recovery ends ("the database system is starting up"): ask a real query.
      ready: async () => {
        const client = admin();
        try {
          await client.connect();
          await client.query('SELECT 1');
          return true;
        } finally {
          await client.end().catch(() => {});
        }
      },
      timeoutMs: 30_000,
    });

    const user = 'strata';
    const database = 'strata';
    const password = randomBytes(18).toString('base64url');
    const client = admin();
    try {
      await client.connect();
      // Identifiers are constants; the password is base64url, so quoting it as a literal is safe.
      await client.query(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
      await client.query(`CREATE DATABASE ${database} OWNER ${user}`);
    } catch (error) {
      await server.stop();
      throw error;
    } finally {
      await client.end().catch(() => {});
    }
    const startMs = Date.now() - started;
    log(`postgres ready on 127.0.0.1:${port} in ${startMs} ms`);

    let stopped = false;
    return {
      host: '127.0.0.1',
      port,
      user,
      password,
      database,
      dir,
      logFile,
      startMs,
      connectionSecret: () =>
        JSON.stringify({
          engine: 'postgres',
          host: '127.0.0.1',
          port,
          username: user,
          password,
          dbname: database,
        }),
      stop: async () => {
        if (stopped) return;
        stopped = true;
        // SIGINT is PostgreSQL's fast shutdown; the SIGTERM of ManagedProcess.stop() would be "smart" and
        // wait for every client to disconnect.
        await fastShutdown(dataDir);
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function fastShutdown(dataDir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return; // not running
  }
  await signalAndWait(pid, 'SIGINT');
}
