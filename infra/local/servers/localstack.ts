import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { LOCAL_ACCESS_KEY_ID, LOCAL_REGION, LOCAL_SECRET_ACCESS_KEY } from '../credentials.js';
import { CACHE_DIR, REPO_ROOT } from '../paths.js';
import { type ManagedProcess, runCommand, startProcess } from './process.js';
import { createLockedVenv, pythonVersionOf, UV_VERSION } from './python-venv.js';

/**
 * LocalStack's PyPI core runs without Docker and without an auth token. Pinned here, in
 * localstack/requirements.in and in strata-lambda-executor's pyproject.toml: the executor plugin uses its
 * internal Lambda API.
 */
export const LOCALSTACK_VERSION = '2026.3.0';

/** Services LocalStack serves; S3 and DynamoDB come from MinIO and DynamoDB Local instead. */
export const LOCALSTACK_SERVICES = ['stepfunctions', 'lambda', 'sts', 'iam', 'events', 'logs'] as const;

const SOURCE_DIR = join(REPO_ROOT, 'infra', 'local', 'servers', 'localstack');
/**
 * Resolved as of LocalStack's release (`--exclude-newer 2026-04-01`, command in its header): the newest
 * cbor2 and pyOpenSSL break this LocalStack.
 */
const LOCK_FILE = join(SOURCE_DIR, 'requirements.lock');
const PLUGIN_DIR = join(SOURCE_DIR, 'strata-lambda-executor');
/** Build leftovers that must neither change the cache key nor be copied into the install. */
const IGNORED = new Set(['__pycache__', 'build', 'dist']);

/**
 * Returns the Python of a venv holding LocalStack and the strata Lambda executor plugin, installing it
 * first if needed. The venv lives under a key hashed from everything installed into it, so an edit of
 * the lock or the plugin installs a fresh venv beside the old one instead of patching it.
 */
export async function ensureLocalStack(log: (msg: string) => void = () => {}): Promise<string> {
  const basePython = await findPython313();
  const pythonVersion = await pythonVersionOf(basePython);
  const dir = join(CACHE_DIR, 'localstack', cacheKey(pythonVersion));
  const venvPython = join(dir, 'venv', 'bin', 'python');
  const marker = join(dir, 'installed');
  if (existsSync(marker)) return venvPython;

  log(`installing LocalStack ${LOCALSTACK_VERSION} (Python ${pythonVersion}) into ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await installVenv(basePython, dir);
  writeFileSync(marker, `${new Date().toISOString()}\n`);
  return venvPython;
}

async function installVenv(basePython: string, dir: string): Promise<void> {
  const { python, uv, env, logFile } = await createLockedVenv(basePython, dir, LOCK_FILE);
  // Built from a copy: setuptools writes build/ and *.egg-info next to the sources it builds.
  const pluginCopy = join(dir, 'src', 'strata-lambda-executor');
  cpSync(PLUGIN_DIR, pluginCopy, { recursive: true, filter: (path) => !isIgnored(path) });
  // No isolation: the build uses the setuptools pinned in the lock instead of fetching an unpinned one.
  const pluginArgs = ['pip', 'install', '--python', python, '--no-deps', '--no-build-isolation', pluginCopy];
  await runCommand(uv, pluginArgs, { env, logFile });
  // Fails the install (not the first start) if the plugin cannot load against this LocalStack.
  const imports = 'import strata_lambda_executor.executor';
  await runCommand(python, ['-c', imports], { env, logFile });
}

function isIgnored(path: string): boolean {
  const name = path.split('/').pop() ?? '';
  return IGNORED.has(name) || name.endsWith('.egg-info') || name.endsWith('.pyc');
}

/** Hash of every input of the venv: interpreter version, uv, the lock and the plugin's sources. */
function cacheKey(pythonVersion: string): string {
  const hash = createHash('sha256');
  hash.update(`python ${pythonVersion}\nuv ${UV_VERSION}\n`);
  hash.update(readFileSync(LOCK_FILE));
  for (const file of listFiles(PLUGIN_DIR)) {
    hash.update(`\n${relative(PLUGIN_DIR, file)}\n`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !isIgnored(entry.name))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? listFiles(path) : [path];
    });
}

/**
 * LocalStack needs CPython 3.13 (on 3.11 and 3.12 it fails to import, though its metadata says
 * >=3.10). Looks in pyenv first (the machine image's interpreters), then for python3.13 on PATH.
 */
async function findPython313(): Promise<string> {
  const pyenvRoot = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv');
  const versions = join(pyenvRoot, 'versions');
  const installed = existsSync(versions) ? readdirSync(versions).filter((v) => /^3\.13\.\d+$/.test(v)) : [];
  const newest = installed.sort((a, b) => patchOf(b) - patchOf(a))[0];
  if (newest) return join(versions, newest, 'bin', 'python3.13');
  const onPath = await runCommand('python3.13', ['-c', 'import sys; print(sys.executable)']).catch(() => '');
  if (onPath.trim()) return onPath.trim();
  throw new Error(
    `LocalStack ${LOCALSTACK_VERSION} needs CPython 3.13, found neither ${versions}/3.13.* nor python3.13 ` +
      'on PATH. Install one, e.g. `pyenv install 3.13`.',
  );
}

function patchOf(version: string): number {
  return Number(version.split('.')[2]);
}

export interface LocalStackOptions {
  port: number;
  /** LocalStack's FILESYSTEM_ROOT (state, temp files) goes below this. */
  dataDir: string;
  /** Base URL of the strata lambda host; every Lambda invocation in LocalStack is forwarded there. */
  lambdaHostUrl: string;
  /** The lambda host's per-start token; the executor plugin sends it with every invocation. */
  lambdaHostToken: string;
  logFile: string;
}

/** Starts LocalStack in host mode (no Docker) on 127.0.0.1, with Lambda forwarded to the lambda host. */
export async function startLocalStack(o: LocalStackOptions): Promise<ManagedProcess> {
  const python = await ensureLocalStack();
  const filesystemRoot = join(o.dataDir, 'filesystem');
  mkdirSync(filesystemRoot, { recursive: true });
  const url = `http://127.0.0.1:${o.port}`;
  return startProcess({
    name: 'localstack',
    command: python,
    args: ['-m', 'localstack.runtime.main'],
    cwd: o.dataDir,
    env: localStackEnv(o, filesystemRoot),
    logFile: o.logFile,
    ready: () => servicesAvailable(url),
    timeoutMs: 90_000,
  });
}

function localStackEnv(o: LocalStackOptions, filesystemRoot: string): Record<string, string | undefined> {
  return {
    GATEWAY_LISTEN: `127.0.0.1:${o.port}`,
    // The default (Twisted) server ignores GATEWAY_LISTEN's IPv4 host ("TODO: interface = host?" in
    // localstack/runtime/server/twisted.py) and listens on all interfaces; Hypercorn, LocalStack's other
    // gateway server, binds the host it is given.
    GATEWAY_SERVER: 'hypercorn',
    LOCALSTACK_HOST: `127.0.0.1:${o.port}`,
    SERVICES: LOCALSTACK_SERVICES.join(','),
    FILESYSTEM_ROOT: filesystemRoot,
    // The machine looks like a container to LocalStack, which would then write to /var/lib/localstack.
    OVERRIDE_IN_DOCKER: '0',
    // No DNS server (it would want port 53), no analytics, no certificate download (no internet).
    DNS_ADDRESS: '0',
    DISABLE_EVENTS: '1',
    SKIP_SSL_CERT_DOWNLOAD: '1',
    // Lambda code runs in the strata lambda host, reached through the strata-lambda-executor plugin.
    LAMBDA_RUNTIME_EXECUTOR: 'strata',
    STRATA_LAMBDA_HOST_URL: o.lambdaHostUrl,
    STRATA_LAMBDA_HOST_TOKEN: o.lambdaHostToken,
    // LocalStack's internal AWS clients: dummy credentials, and never a developer's real profile,
    // session or endpoint override leaking in from the shell.
    AWS_ACCESS_KEY_ID: LOCAL_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: LOCAL_SECRET_ACCESS_KEY,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_REGION: LOCAL_REGION,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_ENDPOINT_URL: undefined,
  };
}

/** Ready once the health endpoint lists every requested service as available (or already running). */
async function servicesAvailable(url: string): Promise<boolean> {
  const response = await fetch(`${url}/_localstack/health`, { signal: AbortSignal.timeout(2_000) });
  if (response.status !== 200) {
    await response.body?.cancel();
    return false;
  }
  const health = (await response.json()) as { services?: Record<string, string> };
  return LOCALSTACK_SERVICES.every((name) =>
    ['available', 'running'].includes(health.services?.[name] ?? ''),
  );
}
