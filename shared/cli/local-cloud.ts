/**
 * `strata up` / `strata down`: the local cloud of the checkout the CLI belongs to. `up` runs
 * infra/local/start.ts's `runLocalCloud` in this process (the same code `npm start` runs, loaded from
 * source through tsx, a dev dependency: the local cloud needs a checkout anyway); `down` signals the
 * process whose pid that code wrote into `<state dir>/cloud.json`, which stops its servers and exits.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { type CloudFile, cloudFilePath, packageRoot, readCloudFile } from './config.js';
import { CliError, EXIT } from './exit-codes.js';

/** The lambda host's liveness path (infra/local/lambda-host.ts HEALTH_PATH). */
const HEALTH_PATH = '/_strata/health';

/** Every port 0: the OS picks free ones (tests, a second cloud beside `npm start`). */
export const FREE_PORTS = { host: 0, minio: 0, minioConsole: 0, dynamodb: 0, localstack: 0 } as const;

export function isAlive(pid: number): 'alive' | 'gone' | 'foreign' {
  try {
    process.kill(pid, 0);
    return 'alive';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? 'foreign' : 'gone';
  }
}

async function answers(info: CloudFile): Promise<boolean> {
  return fetch(`${info.hostUrl}${HEALTH_PATH}`, {
    headers: { authorization: `Bearer ${info.hostToken ?? ''}` },
    signal: AbortSignal.timeout(2_000),
  })
    .then((r) => r.ok)
    .catch(() => false);
}

export interface RunningCloud {
  file: string;
  pid: number;
  apiUrl: string;
  hostUrl: string;
}

/** The cloud recorded in the state dir, if its process is alive and it answers. */
export async function runningCloud(stateDir: string): Promise<RunningCloud | undefined> {
  const file = cloudFilePath(stateDir);
  const info = readCloudFile(file);
  if (!info || typeof info.pid !== 'number' || isAlive(info.pid) !== 'alive') return undefined;
  if (!(await answers(info))) return undefined;
  return { file, pid: info.pid, apiUrl: info.apiUrl, hostUrl: info.hostUrl };
}

export interface UpOptions {
  stateDir: string;
  freePorts: boolean;
  /** Log and banner on stderr, the cloud's info as JSON on stdout. */
  json: boolean;
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Starts the cloud and returns once it is up; the servers keep the process alive until a signal. */
export async function up(options: UpOptions): Promise<void> {
  const root = packageRoot();
  const startFile = join(root, 'infra', 'local', 'start.ts');
  if (!existsSync(startFile)) {
    throw new CliError(
      `strata up runs the local cloud of a strata checkout, and ${root} is not one (no infra/local/start.ts)`,
      EXIT.USAGE,
    );
  }
  const running = await runningCloud(options.stateDir);
  if (running) {
    throw new CliError(
      `a local cloud is already running (pid ${running.pid}, API ${running.apiUrl}); strata down stops it`,
      EXIT.NEGATIVE,
    );
  }
  // The machine runs Node 20, Lambda 22: the SDK's reminder of that is noise here (as in the tests).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let runLocalCloud: (o: Record<string, unknown>) => Promise<unknown>;
  try {
    // tsx runs the local cloud from source, as `npm start` does (the lambda host runs handlers from source).
    const tsx = 'tsx/esm/api';
    const { register } = (await import(tsx)) as { register: () => unknown };
    register();
    ({ runLocalCloud } = (await import(pathToFileURL(startFile).href)) as {
      runLocalCloud: typeof runLocalCloud;
    });
  } catch (error) {
    throw new CliError(
      `cannot load the local cloud from ${root} (run npm ci there): ${(error as Error).message}`,
      EXIT.USAGE,
    );
  }
  const elsewhere = options.env.STRATA_API_URL;
  await runLocalCloud({
    stateDir: options.stateDir,
    ...(options.freePorts && { ports: FREE_PORTS }),
    fromCli: true,
    ...(options.json && { output: process.stderr }),
    onReady: (info: { apiUrl: string; demoApiKey: string }) => {
      if (options.json) options.stdout(`${JSON.stringify({ ...info, pid: process.pid })}\n`);
      if (elsewhere && elsewhere.replace(/\/+$/, '') !== info.apiUrl) {
        options.stderr(
          `note: STRATA_API_URL is set (${elsewhere}), so strata commands in this shell talk to that API, not to this cloud\n`,
        );
      }
    },
  });
}

export interface DownOptions {
  stateDir: string;
  timeoutMs: number;
}

export interface DownResult {
  stopped: boolean;
  pid: number;
  apiUrl: string;
  seconds: number;
}

export async function down(options: DownOptions): Promise<DownResult> {
  const file = cloudFilePath(options.stateDir);
  const info = readCloudFile(file);
  if (!info) throw new CliError(`no local cloud is running (no ${file})`, EXIT.NEGATIVE);
  const pid = info.pid;
  if (typeof pid !== 'number') {
    throw new CliError(
      `${file} records no pid (the cloud was started before strata down existed): stop it with Ctrl-C where it runs`,
      EXIT.NEGATIVE,
    );
  }
  const state = isAlive(pid);
  if (state === 'gone') {
    rmSync(file, { force: true });
    throw new CliError(
      `no local cloud is running (pid ${pid} is gone; removed the stale ${file})`,
      EXIT.NEGATIVE,
    );
  }
  if (state === 'foreign' || !(await answers(info))) {
    // A pid that outlived its cloud may have been reused by anything: never signal what we cannot vouch for.
    throw new CliError(
      `pid ${pid} from ${file} is running but the local cloud at ${info.hostUrl} does not answer; not signalling it (if it is the cloud, kill ${pid})`,
      EXIT.NEGATIVE,
    );
  }
  const t0 = Date.now();
  process.kill(pid, 'SIGTERM');
  while (isAlive(pid) === 'alive') {
    if (Date.now() - t0 > options.timeoutMs) {
      throw new CliError(
        `the local cloud (pid ${pid}) is still stopping after ${Math.round(options.timeoutMs / 1000)} s`,
        EXIT.NEGATIVE,
      );
    }
    await sleep(200);
  }
  return { stopped: true, pid, apiUrl: info.apiUrl, seconds: (Date.now() - t0) / 1000 };
}
