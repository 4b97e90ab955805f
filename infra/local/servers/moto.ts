import { join } from 'node:path';
import { LOCAL_ACCESS_KEY_ID, LOCAL_REGION, LOCAL_SECRET_ACCESS_KEY } from '../credentials.js';
import { REPO_ROOT } from '../paths.js';
import { findPython } from './delta-rs.js';
import { httpReady, type ManagedProcess, runCommand, startProcess } from './process.js';
import { ensureLockedTool } from './python-venv.js';

/**
 * moto's server (PyPI `moto[server]`) is the local Glue Data Catalog: LocalStack's community core has no
 * Glue (it is a Pro service there). Pinned here and in moto/requirements.in; the lock (with hashes) pins
 * every dependency.
 */
export const MOTO_VERSION = '5.2.5';

const LOCK_FILE = join(REPO_ROOT, 'infra', 'local', 'servers', 'moto', 'requirements.lock');

/** Returns the Python of a venv holding moto's server, installing it first if needed. */
export function ensureMoto(log: (msg: string) => void = () => {}): Promise<string> {
  return ensureLockedTool(
    {
      name: 'moto',
      label: `moto ${MOTO_VERSION}`,
      lockFile: LOCK_FILE,
      findPython,
      // Fails the install (not the first start) if the server or its Glue backend cannot load.
      finish: ({ python, env, logFile }) =>
        runCommand(python, ['-c', 'import moto.server, moto.glue'], { env, logFile }).then(() => undefined),
    },
    log,
  );
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
