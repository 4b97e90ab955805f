import { join } from 'node:path';
import { REPO_ROOT } from '../paths.js';
import { runCommand } from './process.js';
import { ensureLockedTool, findCPython } from './python-venv.js';
/**
 * delta-rs (PyPI `deltalake`), the reference engine strata's Delta tables are checked against: the
 * conformance tests read strata's tables with it, time-travel them and write to them with it. Pinned here
 * and in delta-rs/requirements.in; the lock (with hashes) pins pyarrow and every dependency.
 */
export const DELTALAKE_VERSION = '1.6.6';

const LOCK_FILE = join(REPO_ROOT, 'infra', 'local', 'servers', 'delta-rs', 'requirements.lock');

/**
 * Returns the Python of a venv holding delta-rs, installing it first if needed (~1–2 s with a warm uv
 * cache, pyarrow being the largest download; ~320 MB).
 */
export function ensureDeltaRs(log: (msg: string) => void = () => {}): Promise<string> {
  return ensureLockedTool(
    {
      name: 'delta-rs',
      label: `delta-rs ${DELTALAKE_VERSION}`,
      lockFile: LOCK_FILE,
      findPython,
      finish: ({ python, env, logFile }) =>
        runCommand(python, ['-c', 'import deltalake, pyarrow'], { env, logFile }).then(() => undefined),
    },
    log,
  );
}

/**
 * deltalake 1.6 needs CPython 3.11 or later; the lock was resolved for 3.13, which the machine has for
 * LocalStack anyway.
 */
export function findPython(): Promise<string> {
  return findCPython(['3.13', '3.12', '3.11'], `delta-rs ${DELTALAKE_VERSION}`);
}
