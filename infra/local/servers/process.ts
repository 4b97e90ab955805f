import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process has exited. */
  stop(): Promise<void>;
  /**
   * SIGKILL to the whole process group at once, as a crash ends a server: no shutdown, no flush, only what
   * is on disk stays. Resolves when the process has exited. For fault tests.
   */
  kill(): Promise<void>;
}

export interface StartOptions {
  name: string;
  command: string;
  args: readonly string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  logFile: string;
  /** Resolves true once the server answers. Polled until `timeoutMs`. */
  ready: () => Promise<boolean>;
  timeoutMs?: number;
}

/**
 * Starts a long-running server with its output in a log file and waits until it is ready. If it exits
 * before that, the error carries the tail of its log so a failed start explains itself.
 */
export async function startProcess(options: StartOptions): Promise<ManagedProcess> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(options.command, [...options.args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group, so stop() also reaches the server's children (LocalStack spawns some).
    detached: true,
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolveExit) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolveExit();
    });
  });
  child.once('error', () => {
    exited ??= { code: -1, signal: null };
  });

  const handle: ManagedProcess = {
    name: options.name,
    pid: child.pid ?? -1,
    logFile: options.logFile,
    stop: () => stopChild(child, exit, () => exited !== undefined),
    kill: () => killChild(child, exit, () => exited !== undefined),
  };

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (exited) {
      const status = exited.code ?? exited.signal;
      throw new Error(
        `${options.name} exited (${status}) before it was ready:\n${await tail(options.logFile)}`,
      );
    }
    if (await options.ready().catch(() => false)) return handle;
    await sleep(200);
  }
  await handle.stop();
  throw new Error(
    `${options.name} was not ready after ${options.timeoutMs ?? 60_000} ms:\n${await tail(options.logFile)}`,
  );
}

async function stopChild(child: ChildProcess, exit: Promise<void>, hasExited: () => boolean): Promise<void> {
  if (hasExited() || child.pid === undefined) return;
  const group = -child.pid;
  try {
    process.kill(group, 'SIGTERM');
  } catch {
    return;
  }
  const graceful = await Promise.race([exit.then(() => true), sleep(10_000).then(() => false)]);
  if (!graceful) {
    try {
      process.kill(group, 'SIGKILL');
    } catch {
      // already gone
    }
    await exit;
  }
}

async function killChild(child: ChildProcess, exit: Promise<void>, hasExited: () => boolean): Promise<void> {
  if (hasExited() || child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    return; // already gone
  }
  await exit;
}

async function tail(file: string, lines = 40): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines).join('\n');
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolveOpen) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolveOpen(true);
    });
    socket.once('error', () => resolveOpen(false));
  });
}

/** An HTTP readiness probe: any status below 500 from `url` counts as up unless `okStatus` is given. */
export async function httpReady(url: string, okStatus?: number): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  return okStatus === undefined ? response.status < 500 : response.status === okStatus;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Output goes here (appended) instead of being kept in memory; long builds stay inspectable. */
  logFile?: string;
}

/**
 * Runs a command to completion (an install or build step) and resolves its stdout (empty when output goes
 * to `logFile`). A missing tool or a non-zero exit rejects with the command line and the tail of its
 * output, so a failed install explains itself without rerunning it by hand.
 */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<string> {
  const { logFile } = options;
  if (logFile) mkdirSync(dirname(logFile), { recursive: true });
  const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  const child = spawn(command, [...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  const errors: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    if (log) log.write(chunk);
    else chunks.push(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    if (log) log.write(chunk);
    else errors.push(chunk);
  });
  const outcome = await new Promise<{ code: number | null; error?: Error }>((resolveRun) => {
    child.once('error', (error) => resolveRun({ code: null, error }));
    child.once('close', (code) => resolveRun({ code }));
  });
  if (log) await new Promise<void>((resolveEnd) => log.end(resolveEnd));
  const commandLine = [command, ...args].join(' ');
  if (outcome.error) {
    const missing = (outcome.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? `${command} is not installed (not on PATH): needed for ${commandLine}`
        : String(outcome.error),
    );
  }
  if (outcome.code !== 0) {
    const output = logFile ? await tail(logFile) : Buffer.concat([...chunks, ...errors]).toString('utf8');
    throw new Error(
      `${commandLine} failed (exit ${outcome.code}):\n${output.split('\n').slice(-40).join('\n')}`,
    );
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Sends `signal` to one process and waits (up to `timeoutMs`) until it is gone. Lets a server shut down
 * its own way before ManagedProcess.stop(), which then finds it exited and returns at once.
 */
export async function signalAndWait(pid: number, signal: NodeJS.Signals, timeoutMs = 15_000): Promise<void> {
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, signal);
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(50);
  }
}

/** uid/gid of a system account, from /etc/passwd (no extra dependency, no shell). */
export async function systemUser(name: string): Promise<{ uid: number; gid: number }> {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  const fields = line?.split(':');
  const uid = Number(fields?.[2]);
  const gid = Number(fields?.[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error(`system user ${name} does not exist (it comes with the database's Debian package)`);
  }
  return { uid, gid };
}

/** A port the OS considers free now (released before the server binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** A throwaway database server of the connector tests, on 127.0.0.1. */
export interface LocalDatabaseServer {
  host: '127.0.0.1';
  port: number;
  /** A login with every privilege on `database` only (not a superuser). */
  user: string;
  password: string;
  database: string;
  /** The server's own temp dir (data, socket, log); removed by stop(). */
  dir: string;
  logFile: string;
  /** Milliseconds from the call to a server that accepts the login (install time excluded). */
  startMs: number;
  /** The connector secret for this server, in the AWS RDS shape. */
  connectionSecret(): string;
  /** Shuts the server down (open sessions end), then removes the temp dir. */
  stop(): Promise<void>;
}

export interface LocalDatabaseOptions {
  log?: (message: string) => void;
}
