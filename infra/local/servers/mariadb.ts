/**
 * A throwaway MariaDB for the MySQL pull connector's tests: the connector must be proven against a real
 * server (streaming, consistent snapshots, error codes, password auth), and only the package registries
 * are reachable, so this is Debian's mariadb-server rather than a container. Every start gets a fresh
 * data dir in a temp dir, a free loopback port, a password login and no durability: a test server is
 * never worth keeping. MariaDB speaks the MySQL protocol the `mysql` engine uses (mysql2 driver).
 */
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
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

export const MARIADBD_PATH = '/usr/sbin/mariadbd';
export const MARIADB_INSTALL_DB_PATH = '/usr/bin/mariadb-install-db';

/** The tested version (see DebianPackage.pin). */
export const MARIADB_DEBIAN_VERSION = '1:10.11.19-0+deb12u1';

const SYSTEM_USER = 'mysql';

export type MariadbServer = LocalDatabaseServer;
export type MariadbOptions = LocalDatabaseOptions;

/** Installs Debian's mariadb-server when its binaries are missing (root + apt-get needed). */
export async function ensureMariadb(log: (message: string) => void = () => {}): Promise<void> {
  await ensureDebianPackage(
    {
      name: 'mariadb-server',
      pin: MARIADB_DEBIAN_VERSION,
      provides: [MARIADBD_PATH, MARIADB_INSTALL_DB_PATH],
      pinnedIn: 'infra/local/servers/mariadb.ts (MARIADB_DEBIAN_VERSION)',
      // The package's postinst would start a system-wide server on 3306; tests never use it, so keep it off.
      env: { RUNLEVEL: '1' },
    },
    log,
  );
}

/**
 * Starts a fresh MariaDB on 127.0.0.1 (free port) with user `strata` / a random password that holds every
 * privilege on database `strata`. As root, mariadbd drops to the `mysql` system user (`--user`).
 */
export async function startMariadb(options: MariadbOptions = {}): Promise<MariadbServer> {
  const log = options.log ?? (() => {});
  await ensureMariadb(log);
  const started = Date.now();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'strata-mariadb-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'mariadb.log');
  const user = 'strata';
  const database = 'strata';
  const password = randomBytes(18).toString('base64url');

  try {
    const setupFile = join(dir, 'setup.sql');
    // Constant identifiers; the password is base64url, so quoting it as a literal is safe. '%' because
    // skip-name-resolve makes a loopback client '127.0.0.1', and the server listens nowhere else.
    writeFileSync(
      setupFile,
      [
        // The bootstrap runs without grant tables; loading them makes CREATE USER possible.
        'FLUSH PRIVILEGES;',
        `CREATE DATABASE ${database} CHARACTER SET utf8mb4;`,
        `CREATE USER '${user}'@'%' IDENTIFIED BY '${password}';`,
        `GRANT ALL PRIVILEGES ON ${database}.* TO '${user}'@'%';`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const owner = asRoot ? await systemUser(SYSTEM_USER) : undefined;
    if (owner) {
      chownSync(dir, owner.uid, owner.gid);
      chownSync(setupFile, owner.uid, owner.gid);
    }
    const userArgs = asRoot ? [`--user=${SYSTEM_USER}`] : [];
    // Server options shared by the bootstrap and the server, so the data files fit both.
    const serverArgs = [
      `--datadir=${dataDir}`,
      `--tmpdir=${dir}`,
      '--character-set-server=utf8mb4',
      '--innodb-buffer-pool-size=64M',
      '--innodb-log-file-size=16M',
      '--innodb-flush-log-at-trx-commit=0',
      '--innodb-doublewrite=0',
      '--skip-log-bin',
      '--skip-name-resolve',
    ];
    await runCommand(
      MARIADB_INSTALL_DB_PATH,
      [
        // --no-defaults must come first: Debian's /etc/mysql config would pull in its own paths.
        '--no-defaults',
        ...userArgs,
        '--auth-root-authentication-method=socket',
        '--skip-test-db',
        `--extra-file=${setupFile}`,
        ...serverArgs,
      ],
      { cwd: dir, logFile: join(dir, 'install-db.log') },
    );
    rmSync(setupFile, { force: true });

    const port = await freePort();
    const server = await startProcess({
      name: 'mariadb',
      command: MARIADBD_PATH,
      args: [
        '--no-defaults',
        ...userArgs,
        ...serverArgs,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(dir, 'mariadbd.sock')}`,
        `--pid-file=${join(dir, 'mariadbd.pid')}`,
        '--max-connections=50',
      ],
      cwd: dir,
      logFile,
      // The login, not just the port: proves the setup SQL ran and the server accepts queries.
      ready: async () => {
        const connection = await mysql.createConnection({
          host: '127.0.0.1',
          port,
          user,
          password,
          database,
          connectTimeout: 2_000,
        });
        try {
          await connection.query('SELECT 1');
          return true;
        } finally {
          connection.destroy();
        }
      },
      timeoutMs: 30_000,
    });
    const startMs = Date.now() - started;
    log(`mariadb ready on 127.0.0.1:${port} in ${startMs} ms`);

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
          engine: 'mysql',
          host: '127.0.0.1',
          port,
          username: user,
          password,
          dbname: database,
        }),
      stop: async () => {
        if (stopped) return;
        stopped = true;
        // SIGTERM is mariadbd's normal shutdown; waiting here keeps ManagedProcess.stop() from arming its
        // kill timer (which would hold a script's event loop open for its whole grace period).
        await signalAndWait(server.pid, 'SIGTERM');
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
