/**
 * The wrapper of every Lambda of the ingestion state machine (the seven stages and the quarantine): the
 * event parsed with the stage's schema, its dependencies built once per cold start by the handler, and
 * the attempt recorded on its run (run-recording.ts) with the run store and lineage sinks it is given.
 */
import type { z } from 'zod';
import type { RunDeps } from '../app/runs/recording.js';
import { parseWith } from '../schemas/parse.js';
import { observed } from './observed.js';
import { recordRuns } from './run-recording.js';

export function stageHandler<S extends z.ZodType, D, R>(
  stage: string,
  schema: S,
  run: (deps: D, input: z.infer<S>) => Promise<R>,
  wiring: { deps: D; runs: RunDeps },
) {
  // Used after `observed`'s middlewares, so the recording sees the state and its logs the context.
  return observed('stage', stage, async (event: unknown) => run(wiring.deps, parseWith(schema, event))).use(
    recordRuns(wiring.runs),
  );
}
