import { createHash, type Hash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
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

/** A Python tool strata installs from a hashed lock into a venv of its own under the cache. */
export interface LockedTool {
  /** Folder under the cache (`~/.cache/strata/<name>/<key>/`). */
  name: string;
  /** For the log line: what is installed, e.g. `moto 5.2.5`. */
  label: string;
  lockFile: string;
  findPython: () => Promise<string>;
  /** Inputs of the venv beyond the interpreter, uv and the lock (e.g. a plugin's sources). */
  hashExtra?: (hash: Hash) => void;
  /**
   * Runs once the lock is installed; fails the install (not the first start) when the tool cannot load,
   * e.g. an import check, or a plugin built from source.
   */
  finish: (venv: Awaited<ReturnType<typeof createLockedVenv>>) => Promise<void>;
}

/**
 * Returns the Python of the tool's venv, installing it first if needed. The venv lives under a key hashed
 * from the interpreter version, uv, the lock and the tool's other inputs, so an edit of any of them
 * installs a fresh venv beside the old one instead of patching it; a marker file says the install
 * finished.
 */
export async function ensureLockedTool(
  tool: LockedTool,
  log: (msg: string) => void = () => {},
): Promise<string> {
  const basePython = await tool.findPython();
  const pythonVersion = await pythonVersionOf(basePython);
  const hash = createHash('sha256');
  hash.update(`python ${pythonVersion}\nuv ${UV_VERSION}\n`);
  hash.update(readFileSync(tool.lockFile));
  tool.hashExtra?.(hash);
  const dir = join(CACHE_DIR, tool.name, hash.digest('hex').slice(0, 16));
  const venvPython = join(dir, 'venv', 'bin', 'python');
  const marker = join(dir, 'installed');
  if (existsSync(marker)) return venvPython;

  log(`installing ${tool.label} (Python ${pythonVersion}) into ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await tool.finish(await createLockedVenv(basePython, dir, tool.lockFile));
  writeFileSync(marker, `${new Date().toISOString()}\n`);
  return venvPython;
}

/**
 * The newest CPython of the first of `minors` (e.g. ['3.13', '3.12']) found in pyenv (the machine image's
 * interpreters), else `python<minor>` on PATH; `why` says who needs it, for the error when none is found.
 */
export async function findCPython(minors: readonly string[], why: string): Promise<string> {
  const pyenvRoot = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv');
  const versions = join(pyenvRoot, 'versions');
  const installed = existsSync(versions) ? readdirSync(versions) : [];
  const patchOf = (version: string) => Number(version.split('.')[2]);
  for (const minor of minors) {
    const newest = installed
      .filter((v) => new RegExp(`^${minor.replace('.', '\\.')}\\.\\d+$`).test(v))
      .sort((a, b) => patchOf(b) - patchOf(a))[0];
    if (newest) return join(versions, newest, 'bin', `python${minor}`);
  }
  for (const minor of minors) {
    const onPath = await runCommand(`python${minor}`, ['-c', 'import sys; print(sys.executable)']).catch(
      () => '',
    );
    if (onPath.trim()) return onPath.trim();
  }
  throw new Error(
    `${why} needs CPython ${minors.join(' or ')}, found none in ${versions} or on PATH. ` +
      `Install one, e.g. \`pyenv install ${minors[0]}\`.`,
  );
}
