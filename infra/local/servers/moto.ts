import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_ACCESS_KEY_ID, LOCAL_REGION, LOCAL_SECRET_ACCESS_KEY } from '../credentials.js';
import { CACHE_DIR, REPO_ROOT } from '../paths.js';
import { findPython } from './delta-rs.js';
import { httpReady, type ManagedProcess, runCommand, startProcess } from './process.js';
import { createLockedVenv, pythonVersionOf, UV_VERSION } from './python-venv.js';

/**
 * moto's server (PyPI `moto[server]`) is the local Glue Data Catalog: LocalStack's community core has no
 * Glue (it is a Pro service there). Pinned here and in moto/requirements.in; the lock (with hashes) pins
 * every dependency.
 */
export const MOTO_VERSION = '5.2.5';

const LOCK_FILE = join(REPO_ROOT, 'infra', 'local', 'servers', 'moto', 'requirements.lock');

/**
 * Returns the Python of a venv holding moto's server, installing it first if needed. The venv lives under
 * a key hashed from the interpreter version, uv and the lock, so a lock edit installs a fresh venv beside
 * the old one.
 */
export async function ensureMoto(log: (msg: string) => void = () => {}): Promise<string> {
  const basePython = await findPython();
  const pythonVersion = await pythonVersionOf(basePython);
  const dir = join(CACHE_DIR, 'moto', cacheKey(pythonVersion));
  const venvPython = join(dir, 'venv', 'bin', 'python');
  const marker = join(dir, 'installed');
  if (existsSync(marker)) return venvPython;

  log(`installing moto ${MOTO_VERSION} (Python ${pythonVersion}) into ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { env, logFile } = await createLockedVenv(basePython, dir, LOCK_FILE);
  // Fails the install (not the first start) if the server or its Glue backend cannot load.
  await runCommand(venvPython, ['-c', 'import moto.server, moto.glue'], { env, logFile });
  writeFileSync(marker, `${new Date().toISOString()}\n`);
  return venvPython;
}

function cacheKey(pythonVersion: string): string {
  const hash = createHash('sha256');
  hash.update(`python ${pythonVersion}\nuv ${UV_VERSION}\n`);
  hash.update(readFileSync(LOCK_FILE));
  return hash.digest('hex').slice(0, 16);
}

export interface GlueServerOptions {
  port: number;
  logFile: string;
}

/**
 * Starts moto's server on 127.0.0.1 as the local Glue API (AWS JSON protocol, `X-Amz-Target:
 * AWSGlue.<Operation>`). It keeps its catalog in memory: a restart starts from an empty catalog, which
 * registration repairs on the next commit of each dataset (it creates what is missing).
 */
export async function startGlueServer(o: GlueServerOptions): Promise<ManagedProcess> {
  const python = await ensureMoto();
  const url = `http://127.0.0.1:${o.port}`;
  return startProcess({
    name: 'glue',
    command: python,
    args: ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(o.port)],
    env: {
      // Its own clients' credentials and region: the local dummies, never a developer's real profile.
      AWS_ACCESS_KEY_ID: LOCAL_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: LOCAL_SECRET_ACCESS_KEY,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_REGION: LOCAL_REGION,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_ENDPOINT_URL: undefined,
    },
    logFile: o.logFile,
    ready: () => httpReady(`${url}/moto-api/data.json`, 200),
    timeoutMs: 60_000,
  });
}
