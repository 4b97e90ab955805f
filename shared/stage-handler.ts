/**
 * The Lambda wiring shared by the pipeline stages that scan data (parse, validate, profile, quality,
 * drift): config read once at cold start, adapters from the wiring module, the event parsed with the
 * stage's schema, Powertools logging context and metrics flushed after each invocation.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { z } from 'zod';
import type { StageDeps } from './app/pipeline-stages.js';
import { loadConfig } from './config.js';
import type { VersionStore } from './ports.js';
import { recordRuns } from './run-recorder.js';
import { parseWith } from './schemas/parse.js';
import {
  clock,
  logger,
  metadataStore,
  metrics,
  metricsRecorder,
  objectStore,
  versionStore,
} from './wiring.js';

export function stageHandler<S extends z.ZodType, R>(
  schema: S,
  run: (deps: StageDeps, input: z.infer<S>) => Promise<R>,
) {
  const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE']);
  return wrap(schema, run, {
    store: objectStore(config),
    datasets: metadataStore(config),
    clock,
    logger,
    metrics: metricsRecorder,
  });
}

/** A stage that also reads dataset versions (drift: the reference version's snapshot). */
export function versionReadingStageHandler<S extends z.ZodType, R>(
  schema: S,
  run: (deps: StageDeps & { versions: VersionStore }, input: z.infer<S>) => Promise<R>,
) {
  const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'VERSIONS_TABLE', 'LINEAGE_TABLE']);
  return wrap(schema, run, {
    store: objectStore(config),
    datasets: metadataStore(config),
    versions: versionStore(config),
    clock,
    logger,
    metrics: metricsRecorder,
  });
}

function wrap<S extends z.ZodType, D, R>(
  schema: S,
  run: (deps: D, input: z.infer<S>) => Promise<R>,
  deps: D,
) {
  return (
    middy(async (event: unknown) => run(deps, parseWith(schema, event)))
      .use(injectLambdaContext(logger))
      .use(logMetrics(metrics))
      // Unwraps the state machine's `{state, run}` and records the attempt on the run (run-recorder.ts).
      .use(recordRuns())
  );
}
