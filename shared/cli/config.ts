/**
 * Where the CLI finds the API: `STRATA_API_URL` + `STRATA_API_KEY`, or (both unset) the local cloud that
 * `strata up` / `npm start` is running, from its `.strata/cloud.json`. Pure apart from reading that file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError, EXIT } from './exit-codes.js';

export interface ApiConfig {
  apiUrl: string;
  apiKey: string;
  /** Where it came from, for the note on stderr. */
  source: 'env' | 'local-cloud';
  /** The cloud file used (source local-cloud). */
  cloudFile?: string;
}

/** What `.strata/cloud.json` holds (LocalCloudInfo, plus the pid of the process that serves it). */
export interface CloudFile {
  apiUrl: string;
  hostUrl: string;
  /** The lambda host's per-start token (its `/_strata/` paths and Invoke API refuse requests without it). */
  hostToken?: string;
  demoApiKey: string;
  demoTenant: string;
  pid?: number;
  [key: string]: unknown;
}

/**
 * The checkout (or installed package) the CLI runs from: the nearest folder above this module with the
 * strata package.json. From source that is two levels up, from the bundle (dist/strata.mjs) one.
 */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'strata') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return resolve(dirname(from), '..');
    dir = parent;
  }
}

/** `STRATA_STATE_DIR`, else the `.strata/` folder of the checkout the CLI runs from. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.STRATA_STATE_DIR ? resolve(env.STRATA_STATE_DIR) : join(packageRoot(), '.strata');
}

export function cloudFilePath(dir: string): string {
  return join(dir, 'cloud.json');
}

export function readCloudFile(file: string): CloudFile | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<CloudFile>;
    return typeof parsed.apiUrl === 'string' && typeof parsed.demoApiKey === 'string'
      ? (parsed as CloudFile)
      : undefined;
  } catch {
    return undefined;
  }
}

const HELP = `set STRATA_API_URL and STRATA_API_KEY (the stack's ApiUrl output and an API key), or start a local cloud with \`strata up\``;

/**
 * Environment first; with neither variable set, the running local cloud's URL and demo key. A URL
 * without a key is an error, except for the local cloud's own URL (its demo key is known).
 */
export function resolveApiConfig(env: NodeJS.ProcessEnv, cloudFile: string): ApiConfig {
  const url = env.STRATA_API_URL?.trim();
  const key = env.STRATA_API_KEY?.trim();
  const local = readCloudFile(cloudFile);
  let config: ApiConfig;
  if (url && key) config = { apiUrl: url, apiKey: key, source: 'env' };
  else if (!url && !key) {
    if (!local) throw new CliError(`no API configured: ${HELP}`, EXIT.USAGE);
    config = { apiUrl: local.apiUrl, apiKey: local.demoApiKey, source: 'local-cloud', cloudFile };
  } else if (url && local && sameUrl(url, local.apiUrl)) {
    config = { apiUrl: local.apiUrl, apiKey: local.demoApiKey, source: 'local-cloud', cloudFile };
  } else {
    throw new CliError(
      url
        ? `STRATA_API_URL is set but STRATA_API_KEY is not: ${HELP}`
        : `STRATA_API_KEY is set but STRATA_API_URL is not: ${HELP}`,
      EXIT.USAGE,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(config.apiUrl);
  } catch {
    throw new CliError(`STRATA_API_URL "${config.apiUrl}" is not a URL`, EXIT.USAGE);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError(`STRATA_API_URL "${config.apiUrl}" is not an http(s) URL`, EXIT.USAGE);
  }
  return config;
}

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}
