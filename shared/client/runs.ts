/**
 * Waiting for a pipeline run from the client side: what the SDK's ingestData and the CLI's ingest both do
 * after their upload. Kept apart from ingest.ts so the CLI does not bundle the SDK's Arrow and Parquet code.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunView } from '../domain/run.js';
import { ApiError } from './http.js';
import type { StrataClient } from './strata.js';

/**
 * Polls `GET /runs/{id}` (404 until the run's first stage records it) until the run ends; undefined at
 * `deadline` (epoch ms). `onUpdate` sees every answer (undefined while there is none yet).
 */
export async function waitForRun(
  client: Pick<StrataClient, 'getRun'>,
  runId: string,
  deadline: number,
  poll: { min: number; max: number },
  onUpdate: (run: RunView | undefined) => void = () => {},
): Promise<RunView | undefined> {
  let delay = poll.min;
  let failures = 0;
  for (;;) {
    let run: RunView | undefined;
    try {
      run = await client.getRun(runId);
      failures = 0;
    } catch (error) {
      const notYet = error instanceof ApiError && error.status === 404;
      // A blip of the server or the network does not end the wait; a refusal (4xx) does.
      const transient = !(error instanceof ApiError && error.status < 500) && ++failures <= 5;
      if (!notYet && !transient) throw error;
    }
    onUpdate(run);
    if (run && run.status !== 'RUNNING') return run;
    if (Date.now() >= deadline) return undefined;
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    delay = Math.min(poll.max, delay * 1.5);
  }
}
