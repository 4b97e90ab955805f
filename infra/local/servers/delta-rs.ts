import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CACHE_DIR, REPO_ROOT } from '../paths.js';
import { runCommand } from './process.js';
import { createLockedVenv, pythonVersionOf, UV_VERSION } from './python-venv.js';

/**
 * delta-rs (PyPI `deltalake`), the reference engine strata's Delta tables are checked against: the
 * conformance tests read strata's tables with it, time-travel them and write to them with it. Pinned here
 * and in delta-rs/requirements.in; the lock (with hashes) pins pyarrow and every dependency.
 */
export const DELTALAKE_VERSION = '1.6.6';

const LOCK_FILE = join(REPO_ROOT, 'infra', 'local', 'servers', 'delta-rs', 'requirements.lock');

/**
 * Returns the Python of a venv holding delta-rs, installing it first if needed (~1–2 s with a warm uv
 * cache, pyarrow being the largest download; ~320 MB). The venv lives under a key hashed from the
 * interpreter version, uv and the lock, so a lock edit installs a fresh venv beside the old one.
 */
export async function ensureDeltaRs(log: (msg: string) => void = () => {}): Promise<string> {
  const basePython = await findPython();
  const pythonVersion = await pythonVersionOf(basePython);
  const dir = join(CACHE_DIR, 'delta-rs', cacheKey(pythonVersion));
  const venvPython = join(dir, 'venv', 'bin', 'python');
  const marker = join(dir, 'installed');
  if (existsSync(marker)) return venvPython;

  log(`installing delta-rs ${DELTALAKE_VERSION} (Python ${pythonVersion}) into ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { env, logFile } = await createLockedVenv(basePython, dir, LOCK_FILE);
  await runCommand(venvPython, ['-c', 'import deltalake, pyarrow'], { env, logFile });
  writeFileSync(marker, `${new Date().toISOString()}\n`);
  return venvPython;
}

function cacheKey(pythonVersion: string): string {
  const hash = createHash('sha256');
  hash.update(`python ${pythonVersion}\nuv ${UV_VERSION}\n`);
  hash.update(readFileSync(LOCK_FILE));
  return hash.digest('hex').slice(0, 16);
}

/**
 * deltalake 1.6 needs CPython 3.11 or later; the lock was resolved for 3.13, which the machine has for
 * LocalStack anyway. Looks in pyenv first (newest 3.13, then 3.12, 3.11), then on PATH.
 */
export async function findPython(): Promise<string> {
  const pyenvRoot = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv');
  const versions = join(pyenvRoot, 'versions');
  const installed = existsSync(versions) ? readdirSync(versions) : [];
  for (const minor of ['3.13', '3.12', '3.11']) {
    const newest = installed
      .filter((v) => new RegExp(`^${minor.replace('.', '\\.')}\\.\\d+$`).test(v))
      .sort((a, b) => patchOf(b) - patchOf(a))[0];
    if (newest) return join(versions, newest, 'bin', `python${minor}`);
  }
  for (const name of ['python3.13', 'python3.12', 'python3.11']) {
    const onPath = await runCommand(name, ['-c', 'import sys; print(sys.executable)']).catch(() => '');
    if (onPath.trim()) return onPath.trim();
  }
  throw new Error(
    `delta-rs ${DELTALAKE_VERSION} needs CPython 3.11 or later, found none in ${versions} or on PATH. ` +
      'Install one, e.g. `pyenv install 3.13`.',
  );
}

function patchOf(version: string): number {
  return Number(version.split('.')[2]);
}
