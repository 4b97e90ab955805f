import { join } from 'node:path';
import { CACHE_DIR } from '../paths.js';
import { runCommand } from './process.js';

/** uv installs a lock in seconds (pip: ~40 s); it is itself pinned and installed into each venv by pip. */
export const UV_VERSION = '0.13.9';

export async function pythonVersionOf(python: string): Promise<string> {
  return (await runCommand(python, ['-c', 'import platform; print(platform.python_version())'])).trim();
}

/**
 * A venv in `<dir>/venv` from `basePython`, holding exactly the hashed lock `lockFile` (uv verifies every
 * download against it). Returns its python, its uv and the environment the install ran with, for any
 * further step (a plugin built from source, an import check); the install's output goes to
 * `<dir>/install.log`.
 */
export async function createLockedVenv(basePython: string, dir: string, lockFile: string) {
  const logFile = join(dir, 'install.log');
  const venv = join(dir, 'venv');
  const python = join(venv, 'bin', 'python');
  const uv = join(venv, 'bin', 'uv');
  const env = {
    PIP_CACHE_DIR: join(CACHE_DIR, 'pip'),
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    UV_CACHE_DIR: join(CACHE_DIR, 'uv'),
    // Use the given interpreter only; uv would otherwise try to download one (no internet here).
    UV_PYTHON_DOWNLOADS: 'never',
    UV_NO_PROGRESS: '1',
    VIRTUAL_ENV: undefined,
  };
  await runCommand(basePython, ['-m', 'venv', venv], { env, logFile });
  await runCommand(python, ['-m', 'pip', 'install', '--no-input', `uv==${UV_VERSION}`], { env, logFile });
  await runCommand(uv, ['pip', 'install', '--python', python, '-r', lockFile], { env, logFile });
  return { python, uv, env, logFile };
}
