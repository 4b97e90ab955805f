/**
 * A Lambda handler for lambda-host tests that fails its first `FLAKY_FAILURES` invocations: each one
 * appends its event to the file `FLAKY_LOG` (workers are processes of their own, so the count lives there).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

export async function handler(event: unknown): Promise<{ call: number }> {
  const log = process.env.FLAKY_LOG ?? '';
  const calls = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0;
  appendFileSync(log, `${JSON.stringify(event)}\n`);
  if (calls < Number(process.env.FLAKY_FAILURES ?? 0))
    throw new Error(`failing call ${calls + 1} on purpose`);
  return { call: calls + 1 };
}
