/**
 * vitest globalSetup of the integration project: reuse a local cloud that `npm start` is running
 * (found through .strata/cloud.json and a live health check), else start one on free ports with
 * throwaway data and stop it when the run ends.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type LocalCloudInfo, startLocalCloud } from '../../infra/local/cloud.js';
import { HEALTH_PATH } from '../../infra/local/lambda-host.js';
import { STATE_DIR } from '../../infra/local/paths.js';

declare module 'vitest' {
  export interface ProvidedContext {
    cloud: LocalCloudInfo;
  }
}

async function runningCloud(): Promise<LocalCloudInfo | undefined> {
  const file = join(STATE_DIR, 'cloud.json');
  if (!existsSync(file)) return undefined;
  const info = JSON.parse(readFileSync(file, 'utf8')) as LocalCloudInfo;
  const alive = await fetch(`${info.hostUrl}${HEALTH_PATH}`, {
    headers: { authorization: `Bearer ${info.hostToken}` },
    signal: AbortSignal.timeout(2_000),
  })
    .then((r) => r.ok)
    .catch(() => false);
  return alive ? info : undefined;
}

export default async function setup(project: TestProject) {
  const log = (message: string) => process.stdout.write(`[local cloud] ${message}\n`);
  const existing = process.env.STRATA_TEST_FRESH_CLOUD === '1' ? undefined : await runningCloud();
  if (existing) {
    log(`reusing the running local cloud at ${existing.hostUrl}`);
    project.provide('cloud', existing);
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-test-cloud-'));
  const started = Date.now();
  const cloud = await startLocalCloud({
    dataDir,
    ephemeral: true,
    ports: { host: 0, minio: 0, minioConsole: 0, dynamodb: 0, localstack: 0, glue: 0 },
    log,
  });
  log(`started in ${((Date.now() - started) / 1000).toFixed(1)} s (logs: ${join(dataDir, 'logs')})`);
  project.provide('cloud', cloud.info);
  return async () => {
    await cloud.stop();
    // Keep the logs of a failed run for CI to show; a green run leaves nothing behind.
    if (process.exitCode === undefined || process.exitCode === 0)
      rmSync(dataDir, { recursive: true, force: true });
  };
}
