import { cpSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { LOCAL_ACCESS_KEY_ID, LOCAL_REGION, LOCAL_SECRET_ACCESS_KEY } from '../credentials.js';
import { REPO_ROOT } from '../paths.js';
import { type ManagedProcess, runCommand, startProcess } from './process.js';
import { type createLockedVenv, ensureLockedTool, findCPython } from './python-venv.js';

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
 * first if needed; the plugin's sources are inputs of the venv too.
 */
export function ensureLocalStack(log: (msg: string) => void = () => {}): Promise<string> {
  return ensureLockedTool(
    {
      name: 'localstack',
      label: `LocalStack ${LOCALSTACK_VERSION}`,
      lockFile: LOCK_FILE,
      findPython: () => findCPython(['3.13'], `LocalStack ${LOCALSTACK_VERSION}`),
      hashExtra: (hash) => {
        for (const file of listFiles(PLUGIN_DIR)) {
          hash.update(`\n${relative(PLUGIN_DIR, file)}\n`);
          hash.update(readFileSync(file));
        }
      },
      finish: installPlugin,
    },
    log,
  );
}

async function installPlugin({ python, uv, env, logFile }: Awaited<ReturnType<typeof createLockedVenv>>) {
  // Built from a copy: setuptools writes build/ and *.egg-info next to the sources it builds.
  const pluginCopy = join(dirname(python), '..', '..', 'src', 'strata-lambda-executor');
  cpSync(PLUGIN_DIR, pluginCopy, { recursive: true, filter: (path) => !isIgnored(path) });
  // No isolation: the build uses the setuptools pinned in the lock instead of fetching an unpinned one.
  const pluginArgs = ['pip', 'install', '--python', python, '--no-deps', '--no-build-isolation', pluginCopy];
  await runCommand(uv, pluginArgs, { env, logFile });
  // Fails the install (not the first start) if the plugin cannot load against this LocalStack.
  const imports = 'import strata_lambda_executor.executor, strata_lambda_executor.item_reader';
  await runCommand(python, ['-c', imports], { env, logFile });
}

function isIgnored(path: string): boolean {
  const name = path.split('/').pop() ?? '';
  return IGNORED.has(name) || name.endsWith('.egg-info') || name.endsWith('.pyc');
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

export interface LocalStackOptions {
  port: number;
  /** LocalStack's FILESYSTEM_ROOT (state, temp files) goes below this. */
  dataDir: string;
  /** Base URL of the strata lambda host; every Lambda invocation in LocalStack is forwarded there. */
  lambdaHostUrl: string;
  /** The local S3 (MinIO) that Distributed Map item readers read from; without it they cannot run. */
  s3Url?: string;
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
    // Distributed Map item lists (S3 ItemReader) are read from the local cloud's S3 (item_reader.py).
    ...(o.s3Url && { STRATA_S3_ENDPOINT: o.s3Url }),
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
