/**
 * Asynchronous invocations of the lambda host (`InvocationType: Event`, what the connector functions
 * send): a function error is retried with the same event after the retry waits, as Lambda retries it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_REGION } from '../../infra/local/credentials.js';
import { HOST_TOKEN_HEADER, LambdaHost } from '../../infra/local/lambda-host.js';
import type { LocalPlan } from '../../infra/local/plan.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-lambda-host-async-'));
const hosts: LambdaHost[] = [];

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** A host serving one function that fails its first `failures` invocations, logging each to a file. */
async function flakyHost(name: string, failures: number, asyncRetryDelaysMs: number[]) {
  const log = join(dir, `${name}.log`);
  const plan: LocalPlan = {
    buckets: [],
    tables: [],
    functions: [
      {
        name,
        arn: `arn:aws:lambda:${LOCAL_REGION}:000000000000:function:${name}`,
        logicalId: 'Flaky',
        entry: 'test/support/flaky-handler.ts',
        environment: { FLAKY_LOG: log, FLAKY_FAILURES: String(failures) },
        timeoutSeconds: 30,
        memorySize: 256,
      },
    ],
    stateMachines: [],
    notifications: [],
    routes: [],
    schedules: [],
    outputs: {},
    skipped: [],
  };
  const host = new LambdaHost({
    logDir: join(dir, name),
    region: LOCAL_REGION,
    account: '000000000000',
    asyncRetryDelaysMs,
  });
  hosts.push(host);
  const url = await host.listen(0);
  await host.load(plan, { AWS_REGION: LOCAL_REGION });
  const invokeAsync = (event: unknown) =>
    fetch(`${url}/2015-03-31/functions/${name}/invocations`, {
      method: 'POST',
      headers: { [HOST_TOKEN_HEADER]: host.token, 'x-amz-invocation-type': 'Event' },
      body: JSON.stringify(event),
    });
  const calls = () =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as unknown)
      : [];
  return { host, invokeAsync, calls };
}

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('not within the time allowed');
    await sleep(50);
  }
}

describe('asynchronous invocations of the lambda host', () => {
  it('retries a failing function twice with the same event, after the retry waits', async () => {
    // Prepare
    const { invokeAsync, calls } = await flakyHost('flaky-twice', 2, [200, 400]);

    // Act
    const t0 = Date.now();
    const accepted = await invokeAsync({ runId: 'r-1' });
    await until(() => calls().length === 3);
    const took = Date.now() - t0;
    await sleep(700);

    // Assess
    expect(accepted.status).toBe(202);
    expect(calls()).toEqual([{ runId: 'r-1' }, { runId: 'r-1' }, { runId: 'r-1' }]);
    expect(took).toBeGreaterThanOrEqual(600);
  }, 30_000);

  it('stops after the retries, and runs a succeeding function once', async () => {
    // Prepare
    const failing = await flakyHost('flaky-always', 10, [100, 100]);
    const healthy = await flakyHost('healthy', 0, [100, 100]);

    // Act
    await failing.invokeAsync({ n: 1 });
    await healthy.invokeAsync({ n: 2 });
    await until(() => failing.calls().length === 3);
    await sleep(600);

    // Assess
    expect(failing.calls()).toHaveLength(3);
    expect(healthy.calls()).toEqual([{ n: 2 }]);
  }, 30_000);

  it('drops the retries still waiting when it closes, without waiting for them', async () => {
    // Prepare
    const { host, invokeAsync, calls } = await flakyHost('flaky-closing', 5, [60_000, 120_000]);
    await invokeAsync({ n: 3 });
    await until(() => calls().length === 1);

    // Act
    const t0 = Date.now();
    await host.close();

    // Assess
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(calls()).toHaveLength(1);
  }, 30_000);
});
