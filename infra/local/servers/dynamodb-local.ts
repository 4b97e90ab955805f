import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR, REPO_ROOT } from '../paths.js';
import { type ManagedProcess, runCommand, startProcess } from './process.js';

/** Newest DynamoDB Local on Maven Central (there is no 3.x there). Also pinned in dynamodb-local/pom.xml. */
export const DYNAMODB_LOCAL_VERSION = '2.6.1';

const SOURCE_DIR = join(REPO_ROOT, 'infra', 'local', 'servers', 'dynamodb-local');
const POM = join(SOURCE_DIR, 'pom.xml');
const LAUNCHER_SOURCE = join(SOURCE_DIR, 'LoopbackServerRunner.java');
const LAUNCHER_CLASS = 'LoopbackServerRunner';

const VERSION_DIR = join(CACHE_DIR, 'dynamodb-local', DYNAMODB_LOCAL_VERSION);
const LIB_DIR = join(VERSION_DIR, 'lib');
/** Written only after a complete copy: a half-filled lib dir (interrupted download) is not "installed". */
const LIB_MARKER = join(VERSION_DIR, 'lib.complete');
/** Private Maven repository, so the install neither needs nor pollutes ~/.m2. */
const MAVEN_REPO = join(CACHE_DIR, 'maven', 'repository');

/**
 * Returns the directory holding DynamoDB Local's jars and its sqlite4java native library, fetching them
 * from Maven Central first if needed (needs `mvn`). Also compiles the loopback launcher (needs `javac`).
 */
export async function ensureDynamoDbLocal(log: (msg: string) => void = () => {}): Promise<string> {
  return (await install(log)).lib;
}

async function install(log: (msg: string) => void): Promise<{ lib: string; launcher: string }> {
  if (!existsSync(LIB_MARKER)) await copyDependencies(log);
  return { lib: LIB_DIR, launcher: await ensureLauncher(log) };
}

async function copyDependencies(log: (msg: string) => void): Promise<void> {
  log(`fetching DynamoDB Local ${DYNAMODB_LOCAL_VERSION} and its dependencies from Maven Central`);
  rmSync(LIB_DIR, { recursive: true, force: true });
  await runCommand('mvn', [
    '-q',
    '-B',
    '-f',
    POM,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${LIB_DIR}`,
    `-Dmaven.repo.local=${MAVEN_REPO}`,
  ]);
  writeFileSync(LIB_MARKER, `${new Date().toISOString()}\n`);
}

/** Compiled once per launcher source: its hash names the classes dir, so an edit recompiles. */
function launcherDir(): string {
  const hash = createHash('sha256').update(readFileSync(LAUNCHER_SOURCE)).digest('hex').slice(0, 16);
  return join(VERSION_DIR, `launcher-${hash}`);
}

async function ensureLauncher(log: (msg: string) => void): Promise<string> {
  const dir = launcherDir();
  if (existsSync(join(dir, `${LAUNCHER_CLASS}.class`))) return dir;
  log('compiling the DynamoDB Local loopback launcher');
  const temp = `${dir}.tmp-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp, { recursive: true });
  try {
    // Jetty 12 inside DynamoDB Local needs Java 17, so nothing older is targeted.
    await runCommand(javaTool('javac'), [
      '--release',
      '17',
      '-cp',
      join(LIB_DIR, '*'),
      '-d',
      temp,
      LAUNCHER_SOURCE,
    ]);
    rmSync(dir, { recursive: true, force: true });
    renameSync(temp, dir);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  return dir;
}

/** Prefers JAVA_HOME (what Maven uses too) over whatever `java` is first on PATH. */
function javaTool(name: 'java' | 'javac'): string {
  const home = process.env.JAVA_HOME;
  return home && existsSync(join(home, 'bin', name)) ? join(home, 'bin', name) : name;
}

export interface DynamoDbLocalOptions {
  port: number;
  /** Directory of the SQLite file; undefined runs in memory (data is lost on stop). */
  dbPath?: string;
  logFile: string;
}

/**
 * Starts DynamoDB Local on 127.0.0.1.
 *
 * DynamoDB Local has no bind option (its Jetty connector listens on all interfaces, and neither a flag
 * nor a system property changes that), so it is started through LoopbackServerRunner.java, which sets
 * the connector's host before start. `-sharedDb` in both modes: one database whatever access key or
 * region a client signs with, as with the real service in one account.
 */
export async function startDynamoDbLocal(o: DynamoDbLocalOptions): Promise<ManagedProcess> {
  const { lib, launcher } = await install(() => {});
  if (o.dbPath) mkdirSync(o.dbPath, { recursive: true });
  const storage = o.dbPath ? ['-sharedDb', '-dbPath', o.dbPath] : ['-sharedDb', '-inMemory'];
  return startProcess({
    name: 'dynamodb-local',
    command: javaTool('java'),
    args: [
      '-cp',
      `${launcher}:${join(lib, '*')}`,
      // sqlite4java finds its native library (copied by Maven beside the jars) through this path.
      `-Djava.library.path=${lib}`,
      '-Dstrata.bindHost=127.0.0.1',
      LAUNCHER_CLASS,
      '-port',
      String(o.port),
      '-disableTelemetry',
      ...storage,
    ],
    logFile: o.logFile,
    ready: () => answersPost(`http://127.0.0.1:${o.port}/`),
    timeoutMs: 60_000,
  });
}

/**
 * DynamoDB Local answers any POST once Jetty and SQLite are up; this unsigned one gets a 400
 * (MissingAuthenticationToken), which is proof enough. A refused connection rejects: not ready.
 */
async function answersPost(url: string): Promise<boolean> {
  const response = await fetch(url, { method: 'POST', body: '{}', signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  return true;
}
