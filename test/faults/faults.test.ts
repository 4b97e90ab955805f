/**
 * Fault injection on a local cloud of this file's own (test/faults/support.ts: free ports, DynamoDB Local
 * on a file, MinIO's objects and webhook queue on disk): a server is killed (SIGKILL to its process group)
 * while work is in flight, stays down 5 s, is started again on its port with its data, and the product
 * must converge: after the pipeline settles and the fresh-sweeper has run (its use case, with the clock
 * 20 minutes on so every object has settled), every dropped file is versioned (READY or HELD), a
 * DUPLICATE of the file holding its bytes, or QUARANTINED with its stage and error name; no object is lost
 * or doubled (one version per distinct content, numbered 1..N); a second sweep changes nothing.
 *
 * What was seen (2 shared cores; times vary with load):
 * - MinIO killed 1–8 s after 8 files were dropped: the stages' S3 calls fail with ECONNREFUSED, a
 *   TransientError, which Step Functions retries; converged 15–30 s after the restart, sweeper idle.
 * - DynamoDB Local killed the same way (data on disk kept): same, 7–14 s after the restart.
 * - LocalStack killed: LocalStack core keeps no state in host mode (PERSISTENCE=1 is a Pro feature: state
 *   machines and executions were gone even after a graceful restart), so `restart` deploys the functions
 *   and the state machine again (11–16 s) and every execution in flight is lost. The lambda host finishes
 *   the stage Lambdas it was running, so files were left with a record stuck mid-pipeline, which the
 *   sweeper skipped because a record existed: it never converged. Fixed: the sweeper restarts a file whose
 *   record the pipeline has not finished when its newest run's execution ended or is unknown to Step
 *   Functions, as a retry of that run (`<execution>-r<N>`, app/runs.ts restartStalledRun). Converged
 *   9–27 s after the restart (objects without a record started again, the others restarted as -r1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud, LocalServer } from '../../infra/local/cloud.js';
import { newTenant } from '../support/cloud.js';
import {
  type Context,
  converge,
  drop,
  eightFiles,
  expectConverged,
  isFinal,
  note,
  outage,
  records,
  startFaultCloud,
  until,
} from './support.js';

let cloud: LocalCloud;
let ctx: Context;
let stop: (passed: boolean) => Promise<void>;
let failures = 0;

beforeAll(async () => {
  ({ cloud, ctx, stop } = await startFaultCloud());
}, 300_000);

afterAll(async () => {
  await stop?.(failures === 0);
});

async function pipelineOutage(server: LocalServer, seed: number) {
  const { tenant, apiKey } = await newTenant(ctx, `fault-${server}`);
  const files = await drop(ctx, tenant, eightFiles(seed));
  const t0 = Date.now();
  // In flight: some files registered, not all of them through.
  await until(
    'a file registered',
    async () => (await records(ctx, tenant, files)).some((r) => r !== undefined),
    60_000,
  );
  const before = await records(ctx, tenant, files);
  note(
    `${server}: killing ${((Date.now() - t0) / 1000).toFixed(1)} s after the drop: ` +
      `${before.filter((r) => r).length}/8 registered, ${before.filter(isFinal).length}/8 final`,
  );
  const downMs = await outage(cloud, server, 5_000);
  const { swept, again, ms } = await converge(ctx, tenant, files);
  note(
    `${server}: converged ${(ms / 1000).toFixed(1)} s after the restart (${(downMs / 1000).toFixed(1)} s outage); ` +
      `sweeper started ${swept.started.length}, restarted ${swept.restarted.length}; second sweep: ${again.started.length + again.restarted.length}`,
  );
  const after = await records(ctx, tenant, files);
  for (const r of after)
    note(
      `  ${r?.key}: ${r?.status} v${r?.version ?? '-'} ${r?.failure ? `${r.failure.stage}/${r.failure.errorName}` : ''}`,
    );
  return { tenant, apiKey, files, swept, again };
}

describe('the pipeline converges after a server is killed while files are in flight', () => {
  for (const [i, server] of (['minio', 'dynamodb', 'localstack'] as const).entries()) {
    it(`${server}: every file ends versioned, a duplicate or quarantined, nothing lost or doubled`, async () => {
      try {
        // Prepare + Act
        const { tenant, apiKey, files, again } = await pipelineOutage(server, 10 * (i + 1));

        // Assess
        await expectConverged(ctx, tenant, apiKey, files);
        expect(again).toMatchObject({ started: [], restarted: [], inProgress: 0 });
      } catch (error) {
        failures++;
        throw error;
      }
    }, 600_000);
  }
});
