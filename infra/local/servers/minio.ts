import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_ACCESS_KEY_ID, LOCAL_REGION, LOCAL_SECRET_ACCESS_KEY } from '../credentials.js';
import { CACHE_DIR } from '../paths.js';
import { httpReady, type ManagedProcess, runCommand, startProcess } from './process.js';

/**
 * Community MinIO ships as source only (and is no longer maintained upstream), so it is built with
 * `go install` from the Go module proxy. This is the pseudo-version `@latest` resolved to; builds of it are
 * byte-identical, so an existing binary is a valid cache.
 */
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';

/** Notification target id of the webhook MinIO posts S3 events to (see `startMinio`). */
export const MINIO_WEBHOOK_ID = 'strata';

/** QueueArn to use in PutBucketNotificationConfiguration for the `strata` webhook target. */
export const MINIO_WEBHOOK_ARN = `arn:minio:sqs::${MINIO_WEBHOOK_ID}:webhook`;

const MINIO_DIR = join(CACHE_DIR, 'minio', MINIO_VERSION);
const MINIO_BIN = join(MINIO_DIR, 'bin', 'minio');

/** Go's module and build caches, shared by every Go build of the project; ~2.2 GB after MinIO. */
const GO_DIR = join(CACHE_DIR, 'go');

/**
 * Returns the path of the MinIO binary, building it first if the cache lacks it (~3.5 min on 2 cores
 * from empty Go caches; needs `go` on PATH and the Go module proxy).
 */
export async function ensureMinio(log: (msg: string) => void = () => {}): Promise<string> {
  if (existsSync(MINIO_BIN)) return MINIO_BIN;
  log(`building MinIO ${MINIO_VERSION} with go install (takes minutes; output in ${buildLogFile()})`);
  // Build into a private dir and rename, so an interrupted or concurrent build never leaves a partial
  // binary at the path whose mere existence counts as "installed".
  const tempBin = join(MINIO_DIR, `bin.tmp-${process.pid}`);
  rmSync(tempBin, { recursive: true, force: true });
  mkdirSync(tempBin, { recursive: true });
  try {
    await runCommand('go', ['install', `github.com/minio/minio@${MINIO_VERSION}`], {
      env: goBuildEnv(tempBin),
      logFile: buildLogFile(),
    });
    mkdirSync(join(MINIO_DIR, 'bin'), { recursive: true });
    renameSync(join(tempBin, 'minio'), MINIO_BIN);
  } finally {
    rmSync(tempBin, { recursive: true, force: true });
  }
  return MINIO_BIN;
}

function buildLogFile(): string {
  return join(MINIO_DIR, 'build.log');
}

/** Keeps every Go cache under CACHE_DIR: reused by a fresh clone, never written into the checkout. */
function goBuildEnv(gobin: string): Record<string, string> {
  return {
    GOBIN: gobin,
    GOPATH: GO_DIR,
    GOMODCACHE: join(GO_DIR, 'mod'),
    GOCACHE: join(GO_DIR, 'build'),
    // Module cache files are read-only by default, which makes `rm -rf` of the cache fail.
    GOFLAGS: '-modcacherw',
  };
}

export interface MinioOptions {
  port: number;
  consolePort: number;
  dataDir: string;
  /** Where MinIO POSTs S3 event notifications for buckets configured with MINIO_WEBHOOK_ARN. */
  webhookUrl: string;
  /** Sent with every event as `Authorization: Bearer <token>` (the lambda host refuses events without it). */
  webhookAuthToken: string;
  /** Events that cannot be delivered wait here until the receiver answers again. */
  queueDir: string;
  logFile: string;
}

/**
 * Starts MinIO on 127.0.0.1 with the fixed local credentials and the `strata` webhook target.
 *
 * MinIO does not check the webhook endpoint at start: it starts (and accepts bucket notification
 * configurations) while the receiver is down. Without a queue dir, events raised while the receiver is
 * down are dropped; with one they are stored and delivered once it answers (verified in
 * test/integration/local-servers.test.ts), so the receiver may start after MinIO or restart.
 */
export async function startMinio(o: MinioOptions): Promise<ManagedProcess> {
  const binary = await ensureMinio();
  mkdirSync(o.dataDir, { recursive: true });
  mkdirSync(o.queueDir, { recursive: true });
  const url = `http://127.0.0.1:${o.port}`;
  return startProcess({
    name: 'minio',
    command: binary,
    args: [
      'server',
      o.dataDir,
      '--address',
      `127.0.0.1:${o.port}`,
      '--console-address',
      `127.0.0.1:${o.consolePort}`,
    ],
    env: minioEnv(o),
    logFile: o.logFile,
    ready: () => httpReady(`${url}/minio/health/ready`, 200),
    timeoutMs: 30_000,
  });
}

function minioEnv(o: MinioOptions): Record<string, string> {
  const id = MINIO_WEBHOOK_ID;
  return {
    MINIO_ROOT_USER: LOCAL_ACCESS_KEY_ID,
    MINIO_ROOT_PASSWORD: LOCAL_SECRET_ACCESS_KEY,
    // Events otherwise carry an empty awsRegion; clients already sign for this region.
    MINIO_SITE_REGION: LOCAL_REGION,
    // No phoning home for updates: the machine has no internet and the build is pinned.
    MINIO_UPDATE: 'off',
    [`MINIO_NOTIFY_WEBHOOK_ENABLE_${id}`]: 'on',
    [`MINIO_NOTIFY_WEBHOOK_ENDPOINT_${id}`]: o.webhookUrl,
    [`MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_${id}`]: o.queueDir,
    // MinIO sends it as `Authorization: Bearer <token>` (internal/event/target/webhook.go) when it delivers,
    // so events queued during an earlier start go out with this start's token.
    [`MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_${id}`]: o.webhookAuthToken,
  };
}
